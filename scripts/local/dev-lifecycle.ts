import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DevState, devStateFile } from './dev-state.ts';

export interface DevLifecycleOptions {
  /** Stops whatever runs (the platform, once it is up). */
  stop: () => Promise<void>;
  stateFile?: string;
  log?: (message: string) => void;
}

export interface DevLifecycle {
  /** Writes the state file that tells other commands (make load) how to reach the platform. */
  publish(state: DevState): void;
  /** Takes the state file back, stops everything and exits with `code` (1 if stopping failed). */
  shutdown(code: number): Promise<never>;
}

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * How `make dev` ends. Ctrl-C, SIGTERM or a closed terminal (SIGHUP) stop it; a second one while
 * stopping exits at once (the servers die with this process: parent-death signal and exit hook).
 * The state file goes first, since a platform that is stopping can serve `make load` no more, and
 * on any other exit too (a crash); only SIGKILL leaves it behind.
 */
export function devLifecycle(options: DevLifecycleOptions): DevLifecycle {
  const file = options.stateFile ?? devStateFile;
  const log = options.log ?? console.log;
  const withdraw = () => rmSync(file, { force: true });
  let stopping = false;
  process.on('exit', withdraw);

  async function shutdown(code: number): Promise<never> {
    stopping = true;
    withdraw();
    log('\nstopping…');
    let exitCode = code;
    try {
      await options.stop();
    } catch (error) {
      log(`could not stop everything cleanly: ${error instanceof Error ? error.message : String(error)}`);
      exitCode = exitCode || 1;
    }
    process.exit(exitCode);
  }
  for (const signal of stopSignals)
    process.on(signal, () => {
      if (!stopping) return void shutdown(0);
      log(`${signal} again: exiting now`);
      process.exit(130);
    });

  return {
    publish(state) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(state, null, 2));
    },
    shutdown,
  };
}
