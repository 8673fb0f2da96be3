import type { z } from 'zod';
import { ConfigError, loadConfig, type TracingConfig, tracingSchema } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import { startTracing } from './tracing.ts';

export type StopOutcome = 'stopped' | 'failed' | 'deadline';

/** Runs `stop`, but waits no longer than the deadline (the kubelet's SIGKILL comes anyway). */
export async function stopWithin(stop: () => Promise<void>, deadlineMs: number): Promise<StopOutcome> {
  let timer: NodeJS.Timeout | undefined;
  // Not unref'd: a stop hanging on nothing must still end in 'deadline', not in a silent exit 0.
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  try {
    const stopped = Promise.resolve()
      .then(stop)
      .then(
        () => 'stopped' as const,
        () => 'failed' as const,
      );
    return await Promise.race([stopped, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ServiceContext<C> {
  config: C;
  log: Logger;
  /** Shuts down as a signal would (for watchdogs), then exits with `code` (1 if the stop went wrong). */
  exit: (code: number, reason: string) => void;
}

export interface ServiceOptions<C> {
  /** The program's name: in the configuration error and on every log line. */
  name: string;
  config: z.ZodType<C>;
  /** Default 25 s: inside Kubernetes' default 30 s grace period. */
  shutdownDeadlineMs?: number;
  start: (ctx: ServiceContext<C>) => Promise<{ stop: () => Promise<void> }>;
}

/**
 * A service's process from start to exit: configuration from the environment (an invalid one is
 * reported on stderr, exit 1), a logger, `start`, then on SIGTERM or SIGINT one `stop` within the
 * deadline: exit 0 if it finished, 1 if it failed or ran out of time.
 */
export async function runService<C>(options: ServiceOptions<C>): Promise<void> {
  const { name, shutdownDeadlineMs = 25_000 } = options;
  let config: C;
  let tracingConfig: TracingConfig;
  try {
    // One error naming every problem, the program's own and OpenTelemetry's variables alike.
    const problems: string[] = [];
    const attempt = <T>(load: () => T): T | undefined => {
      try {
        return load();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems);
        return undefined;
      }
    };
    const programConfig = attempt(() => loadConfig(name, options.config));
    const otel = attempt(() => loadConfig(name, tracingSchema));
    if (problems.length > 0 || otel === undefined) throw new ConfigError(name, problems);
    config = programConfig as C;
    tracingConfig = otel;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const tracing = startTracing(name, tracingConfig);
  const level = (config as { LOG_LEVEL?: unknown } | undefined)?.LOG_LEVEL;
  const log = createLogger(name, typeof level === 'string' ? level : 'info');
  if (tracing.endpoint) log.info({ endpoint: tracing.endpoint }, 'tracing on: spans go to OTLP');

  let shuttingDown = false;
  let started: Promise<{ stop: () => Promise<void> }> | undefined;
  const shutdown = (code: number, reason: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ reason }, 'shutting down');
    // A signal during start-up waits for start to finish, then stops what it started.
    const stop = async () => {
      try {
        await (await started)?.stop();
      } catch (error) {
        log.error({ err: error }, 'stop failed');
        throw error;
      }
    };
    void stopWithin(stop, shutdownDeadlineMs).then(async (outcome) => {
      if (outcome === 'deadline') log.error({ deadlineMs: shutdownDeadlineMs }, 'stop did not finish in time');
      else log.info({ outcome }, 'stopped');
      // The spans of the last requests and batches; a collector that does not answer costs at most 2 s.
      await stopWithin(tracing.shutdown, 2_000);
      process.exit(outcome === 'stopped' ? code : code || 1);
    });
  };
  process.on('SIGTERM', () => shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => shutdown(0, 'SIGINT'));

  // Through a promise, so a start that throws before its first await is handled the same way.
  started = Promise.resolve().then(() => options.start({ config, log, exit: shutdown }));
  try {
    await started;
    log.info('started');
  } catch (error) {
    log.fatal({ err: error }, 'start failed');
    // Shutting down already: its stop has seen the same failure and exits 1.
    if (!shuttingDown) process.exit(1);
  }
}
