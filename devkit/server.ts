import { rmSync } from 'node:fs';
import type { Launched } from './process.ts';

/**
 * A real server the tests or local mode use. `start`/`stop`/`kill` work on the same port and data,
 * so chaos tests can crash a server and bring it back; `dispose` also removes its temp dirs.
 */
export interface LocalServer {
  readonly name: string;
  /** What clients connect to: a broker list, a URL, a connection string. */
  readonly endpoint: string;
  /** False when the endpoint came from an environment variable: that server is not ours to stop. */
  readonly managed: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server freezes with its connections open, then carries on. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  dispose(): Promise<void>;
  /** The running process's pid (for CPU accounting: bench/lib/cpu.ts); undefined when not ours or not running. */
  pid(): number | undefined;
}

/** A server someone else runs, named by an override variable; lifecycle calls are refused. */
export function externalServer(name: string, endpoint: string): LocalServer {
  const refuse = async () => {
    throw new Error(`${name} at ${endpoint} comes from the environment; this run does not manage it`);
  };
  return {
    name,
    endpoint,
    managed: false,
    start: refuse,
    stop: refuse,
    kill: refuse,
    pause: refuse,
    resume: refuse,
    dispose: async () => {},
    pid: () => undefined,
  };
}

export interface ProcessServerOptions {
  name: string;
  endpoint: string;
  /** The server's temp dir: removed by dispose, and when the first start fails. */
  home: string;
  /** What to run; called for every (re)start, on the same ports and data. */
  launch: () => Launched;
  /** Waits until the launched process really serves (a request, never a sleep). */
  ready: (process: Launched) => Promise<void>;
}

/** A server that is one process: started now, restartable after stop or kill, cleaned by dispose. */
export async function startProcessServer(options: ProcessServerOptions): Promise<LocalServer> {
  let proc: Launched | undefined;
  const server: LocalServer = {
    name: options.name,
    endpoint: options.endpoint,
    managed: true,
    async start() {
      if (proc && !proc.hasExited()) return;
      proc = options.launch();
      await options.ready(proc);
    },
    async stop() {
      await proc?.stop();
    },
    async kill() {
      await proc?.kill();
    },
    async pause() {
      proc?.pause();
    },
    async resume() {
      proc?.resume();
    },
    async dispose() {
      await proc?.stop();
      rmSync(options.home, { recursive: true, force: true });
    },
    pid: () => (proc && !proc.hasExited() ? proc.pid : undefined),
  };
  try {
    await server.start();
  } catch (error) {
    rmSync(options.home, { recursive: true, force: true });
    throw error;
  }
  return server;
}
