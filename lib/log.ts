import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one line per event, with ISO times and the pod they came from. The
 * destination is for tests; by default pino writes to stdout synchronously, so a line logged just
 * before process.exit is not lost.
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, base: { pod: process.env.POD_NAME }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
