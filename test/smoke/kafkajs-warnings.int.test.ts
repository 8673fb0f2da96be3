// @needs kafka
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bundleEntry } from '../../scripts/bundle.ts';
import { repoRoot } from '../../shared/versions.ts';

const run = promisify(execFile);
const probe = join(repoRoot, 'test/smoke/kafkajs-probe.ts');
const out = mkdtempSync(join(tmpdir(), 'eventide-kafkajs-probe-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs a program with a clean environment (no NODE_OPTIONS from the test runner) and returns what it printed. */
async function runProbe(file: string) {
  const env = { PATH: process.env.PATH, KAFKA_BROKERS: inject('kafkaBrokers'), PROBE_TOPIC: `probe-${randomUUID()}` };
  return run(process.execPath, [file], { cwd: out, env, timeout: 60_000 });
}

// kafkajs 2.2.4 schedules its request queue's throttle check with `throttledUntil - Date.now()`,
// about -1.7e12 ms when not throttled; Node 24 warns about it (kafkajs#1751). patches/ fixes it.
describe('kafkajs on Node 24 (patched)', () => {
  it.each([
    ['from node_modules', async () => probe],
    [
      'bundled as the images bundle it',
      async () => {
        const file = join(out, 'probe.js');
        await bundleEntry(probe, file);
        return file;
      },
    ],
  ])('a process that connects and produces prints no TimeoutNegativeWarning and wakes for no timer while idle, %s', async (_, prepare) => {
    const { stdout, stderr } = await runProbe(await prepare());
    expect(stdout).toContain('probe sent');
    expect(stderr).not.toContain('TimeoutNegativeWarning');
    // Other warnings still print: the fix is at the source, not a filter on warnings.
    expect(stderr).toContain('ProbeWarning: the probe is done');
    // The same timer, clamped to 1 ms, rescheduled itself: about a thousand wake-ups a second per
    // idle connection. Now an idle connection starts none (the probe's own 1 s wait is one).
    const idleTimers = Number(/idle timers: (\d+)/.exec(stdout)?.[1]);
    expect(idleTimers).toBeLessThan(10);
  });
});
