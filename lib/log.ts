import { type DestinationStream, type Logger, pino } from 'pino';
import { logCorrelation } from './tracing.ts';

export type { Logger };

/**
 * Structured JSON logs, one line per event, with ISO times and the pod they came from. The
 * destination is for tests; otherwise stdout, written synchronously: pino's default is
 * asynchronous, and at process.exit its flush wrote the last line before the one still in flight
 * (lib/main.test.ts saw "stopped" before "shutting down"). A line written inside a span carries its
 * trace_id and span_id, so it leads to its trace.
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, base: { pod: process.env.POD_NAME }, timestamp: pino.stdTimeFunctions.isoTime, mixin: logCorrelation };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
