// Processes and files only, no servers: make dev's state file must not outlive make dev.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'eventide-dev-lifecycle-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the fixture and resolves once it has published its state file. */
async function startFixture(mode: 'wait' | 'hang' | 'crash') {
  const stateFile = join(dir, `${mode}-${started.length}`, 'dev.json');
  const child = spawn(process.execPath, [join(import.meta.dirname, 'dev-lifecycle.fixture.ts')], {
    env: { PATH: process.env.PATH, FIXTURE: mode, DEV_STATE_FILE: stateFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => stdout.includes('up\n') && resolve());
    void exited.then(() => reject(new Error(`fixture exited before it was up: ${stdout}`)));
  });
  expect(existsSync(stateFile)).toBe(true);
  return { child, stateFile, exited, output: () => stdout };
}

describe('make dev stopping', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('on %s: stops everything, removes its state file, exits 0', async (signal) => {
    const fixture = await startFixture('wait');
    fixture.child.kill(signal);
    expect(await fixture.exited).toEqual({ code: 0, signal: null });
    expect(fixture.output()).toContain('stop called');
    expect(existsSync(fixture.stateFile)).toBe(false);
  });

  it('takes the state file back as soon as it starts stopping, and a second Ctrl-C ends a stop that hangs', async () => {
    const fixture = await startFixture('hang');
    fixture.child.kill('SIGINT');
    const deadline = Date.now() + 5_000;
    while (!fixture.output().includes('stop called') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(fixture.stateFile)).toBe(false);
    fixture.child.kill('SIGINT');
    expect((await fixture.exited).code).not.toBe(0);
  });

  it('removes the state file when it crashes', async () => {
    const fixture = await startFixture('crash');
    expect((await fixture.exited).code).not.toBe(0);
    expect(existsSync(fixture.stateFile)).toBe(false);
  });
});
