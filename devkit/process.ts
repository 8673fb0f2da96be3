import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../shared/versions.ts';

export interface LaunchOptions {
  /** Short name used in errors, e.g. "kafka". */
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this unprivileged user when we are root (PostgreSQL refuses to run as root). */
  runAs?: string;
  /** The signal that asks this server for a clean shutdown. */
  stopSignal?: NodeJS.Signals;
}

export interface Launched {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** The server's stop signal (SIGTERM unless set), then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, as a crash would. */
  kill(): Promise<void>;
  /** SIGSTOP: the process stays, holds its sockets and answers nothing, as a hung or frozen host would. */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort for an interrupted run: whatever we started dies with us. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

const hasSetpriv = process.platform === 'linux' && spawnSync('setpriv', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

/**
 * Starts a server process with its output in a log file. On Linux it is started through setpriv
 * with a parent-death signal, so even a SIGKILLed test runner leaves no JVM or postgres behind.
 */
export function launch(options: LaunchOptions): Launched {
  installExitHook();
  const prefix: string[] = [];
  if (hasSetpriv) {
    prefix.push('--pdeathsig', 'KILL');
    if (options.runAs && isRoot) prefix.push(`--reuid=${options.runAs}`, `--regid=${options.runAs}`, '--clear-groups');
  } else if (options.runAs && isRoot) {
    throw new Error(`${options.name}: must run as ${options.runAs}, which needs setpriv (Debian package util-linux)`);
  }
  const command = hasSetpriv ? 'setpriv' : options.command;
  const args = hasSetpriv ? [...prefix, '--', options.command, ...options.args] : options.args;
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  running.add(child);
  let done = false;
  const exited = new Promise<number | string>((resolveExit, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      done = true;
      running.delete(child);
      reject(
        error.code === 'ENOENT'
          ? new Error(`${options.name}: '${options.command}' was not found on PATH`)
          : new Error(`${options.name}: could not start '${options.command}': ${error.message}`),
      );
    });
    child.on('exit', (code, signal) => {
      done = true;
      running.delete(child);
      resolveExit(code ?? signal ?? 'unknown');
    });
  });
  // Callers observe failures through waitUntilReady; keep an early spawn error from going unhandled.
  exited.catch(() => undefined);

  async function terminate(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (done) return;
    child.kill(signal);
    // A paused process would hold a termination signal until it runs again.
    child.kill('SIGCONT');
    // The grace timer is cancelled once the process exits, so it cannot keep the runner alive.
    const grace = new AbortController();
    const outcome = await Promise.race([
      exited.catch(() => 'error'),
      sleep(graceMs, 'timeout', { signal: grace.signal }).catch(() => 'cancelled'),
    ]);
    grace.abort();
    if (outcome === 'timeout' && !done) {
      child.kill('SIGKILL');
      await exited.catch(() => undefined);
    }
  }

  return {
    name: options.name,
    get pid() {
      return child.pid ?? -1;
    },
    logFile: options.logFile,
    exited,
    hasExited: () => done,
    stop: (graceMs = 15_000) => terminate(options.stopSignal ?? 'SIGTERM', graceMs),
    kill: () => terminate('SIGKILL', 5_000),
    pause: () => {
      if (!done) child.kill('SIGSTOP');
    },
    resume: () => {
      if (!done) child.kill('SIGCONT');
    },
  };
}

/** The last lines of a log, for error messages that show why a server did not come up. */
export function logTail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log written)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

/**
 * Polls `probe` until it returns true, the process dies, or the deadline passes; the error names
 * the server and shows the end of its log. Readiness is always a real request, never a sleep.
 */
export async function waitUntilReady(
  proc: Launched,
  probe: () => Promise<boolean>,
  { timeoutMs, what }: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const code = await proc.exited.catch((error: Error) => error.message);
      throw new Error(`${proc.name} exited (${code}) before ${what}. Log ${proc.logFile}:\n${logTail(proc.logFile)}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(250);
  }
  await proc.kill();
  throw new Error(
    `${proc.name}: not ${what} within ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last probe error: ${lastError})` : ''}. Log ${proc.logFile}:\n${logTail(proc.logFile)}`,
  );
}

/** A Node program of this repository (e.g. a service's main.ts) as a process, logging to logDir/<name>.log, with env over this one's. */
export function launchProgram(entry: string, { name, logDir, env }: { name: string; logDir: string; env: NodeJS.ProcessEnv }): Launched {
  return launch({
    name,
    command: process.execPath,
    args: [join(repoRoot, entry)],
    logFile: join(logDir, `${name}.log`),
    env: { ...process.env, ...env },
  });
}

/**
 * Runs one of devkit's build scripts (Go builds from the module proxy), its messages on stderr as
 * they come; `what` names it in the error when it fails.
 */
export async function runBuildScript(script: string, args: string[], env: Record<string, string>, what: string): Promise<void> {
  const build = spawn('bash', [join(repoRoot, script), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
  });
  const code = await new Promise<number | null>((resolveCode, reject) => {
    build.on('error', reject);
    build.on('exit', resolveCode);
  });
  if (code !== 0) throw new Error(`${what}: ${script} failed (exit ${code}); its messages are above`);
}
