import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs; controllers add `key` (namespace/name) to every line about an object. */
export function createLogger(level: string, name = 'eventide-operator'): Logger {
  return pino({ name, level, base: { pod: process.env.POD_NAME }, timestamp: pino.stdTimeFunctions.isoTime });
}
