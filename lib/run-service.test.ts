import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stopWithin } from './run-service.ts';

describe('stopWithin', () => {
  it('reports a stop that finishes in time', async () => {
    expect(await stopWithin(() => new Promise((r) => setTimeout(r, 10)), 1_000)).toBe('stopped');
  });

  it('reports a stop that rejects or throws at once', async () => {
    expect(await stopWithin(() => Promise.reject(new Error('no')), 1_000)).toBe('failed');
    expect(
      await stopWithin(() => {
        throw new Error('sync');
      }, 1_000),
    ).toBe('failed');
  });

  it('gives up on a stop that hangs, at the deadline', async () => {
    const t0 = Date.now();
    expect(await stopWithin(() => new Promise(() => {}), 50)).toBe('deadline');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
  });
});

// The process side: a service script run by Node itself, as in production.
const dir = mkdtempSync(join(tmpdir(), 'lib-run-service-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const zod = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
const runServiceModule = new URL('./run-service.ts', import.meta.url).href;
const config = new URL('./config.ts', import.meta.url).href;

/** A service whose start and stop are the given code; it prints STARTED / STOPPING for the test to follow. */
function script(name: string, { start = '', stop = '', deadlineMs = 5_000 } = {}): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import { z } from ${JSON.stringify(zod)};
import { env } from ${JSON.stringify(config)};
import { runService } from ${JSON.stringify(runServiceModule)};
await runService({
  name: 'demo',
  config: z.object({ KAFKA_BROKERS: env.kafkaBrokers, LOG_LEVEL: env.logLevel }),
  shutdownDeadlineMs: ${deadlineMs},
  start: async (ctx) => {
    const keepAlive = setInterval(() => {}, 60_000);
    ${start}
    console.log('STARTED');
    return { stop: async () => { console.log('STOPPING'); ${stop}; clearInterval(keepAlive); } };
  },
});
`,
  );
  return file;
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor: (text: string) => Promise<void>;
}

function run(file: string, env: Record<string, string> = { KAFKA_BROKERS: 'k:9092' }): Run {
  const child = spawn(process.execPath, [file], { env: { ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'info' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (text: string) => {
    const until = Date.now() + 15_000;
    while (!out.includes(text)) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`no "${text}" in: ${out}${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

const logLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe('runService', { timeout: 30_000 }, () => {
  it('on a bad configuration: the message on stderr, nothing else, exit 1', async () => {
    const proc = run(script('bad-config'), { LOG_LEVEL: 'loud' });
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toMatch(
      /^demo: invalid configuration\n {2}KAFKA_BROKERS: KAFKA_BROKERS is required[^\n]*\n {2}LOG_LEVEL: [^\n]+\n$/,
    );
    expect(proc.stdout()).toBe('');
  });

  it('on SIGTERM: stops once, logs, exits 0', async () => {
    const proc = run(script('graceful'));
    await proc.waitFor('STARTED');
    proc.child.kill('SIGTERM');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.stdout().match(/STOPPING/g)).toHaveLength(1);
    expect(logLines(proc.stdout()).map((l) => [l.name, l.msg, l.reason ?? l.outcome])).toEqual([
      ['demo', 'started', undefined],
      ['demo', 'shutting down', 'SIGTERM'],
      ['demo', 'stopped', 'stopped'],
    ]);
  });

  it('on SIGINT too', async () => {
    const proc = run(script('interrupt'));
    await proc.waitFor('STARTED');
    proc.child.kill('SIGINT');
    expect(await proc.exited).toBe(0);
    expect(proc.stdout()).toContain('STOPPING');
  });

  it('exits 1 when stop hangs past the deadline', async () => {
    const proc = run(script('hangs', { stop: 'await new Promise(() => {})', deadlineMs: 300 }));
    await proc.waitFor('STARTED');
    const t0 = Date.now();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(proc.stdout()).toContain('stop did not finish in time');
  });

  it('exits 1 when stop fails', async () => {
    const proc = run(script('stop-fails', { stop: "throw new Error('disk gone')" }));
    await proc.waitFor('STARTED');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(1);
    expect(proc.stdout()).toContain('disk gone');
  });

  it('logs a failed start and exits 1', async () => {
    const proc = run(script('start-fails', { start: "throw new Error('no database')" }));
    expect(await proc.exited).toBe(1);
    const fatal = logLines(proc.stdout()).find((l) => l.msg === 'start failed');
    expect(fatal?.err?.message).toBe('no database');
    expect(proc.stdout()).not.toContain('STARTED');
  });

  it('ctx.exit shuts down the same way and exits with its code', async () => {
    const proc = run(script('watchdog', { start: "setTimeout(() => ctx.exit(3, 'consumer stalled'), 100);" }));
    expect(await proc.exited).toBe(3);
    expect(proc.stdout()).toContain('STOPPING');
    expect(logLines(proc.stdout()).find((l) => l.msg === 'shutting down')?.reason).toBe('consumer stalled');
  });
});
