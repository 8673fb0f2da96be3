/**
 * The one place a long-running Eventide process makes a kafkajs client. kafkajs's own log is
 * routed into the process's pino log (warnings and errors by default): with it silenced, a
 * consumer that crashed out of its group left no trace at all.
 */
import kafkajs, { type KafkaConfig, type LogEntry, type logLevel as LogLevel } from 'kafkajs';
import { type Logger, pino } from 'pino';

// kafkajs is CommonJS; Node cannot see all of its named exports from ESM.
const { Kafka, logLevel } = kafkajs;
export const { ConfigResourceTypes, Partitioners } = kafkajs;
const silent = pino({ level: 'silent' });

export type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';

/** kafkajs level → pino method; NOTHING never reaches a log creator. */
export function pinoLevel(level: LogLevel): 'error' | 'warn' | 'info' | 'debug' {
  switch (level) {
    case logLevel.ERROR:
      return 'error';
    case logLevel.WARN:
      return 'warn';
    case logLevel.INFO:
      return 'info';
    default:
      return 'debug';
  }
}

/** kafkajs's entry as one structured line: its message, its fields, and which client said it. */
export function logLine(entry: LogEntry): { fields: Record<string, unknown>; message: string } {
  const { message, timestamp: _t, logger: _l, ...fields } = entry.log;
  return { fields: { kafkajs: entry.namespace, ...fields }, message: String(message) };
}

export interface KafkaClientOptions extends Omit<KafkaConfig, 'logLevel' | 'logCreator'> {
  /** Where kafkajs's entries go; default nowhere (tests and one-shot tools). */
  log?: Logger;
  /** The least severe kafkajs entries written; default WARN (INFO logs every join and commit). */
  level?: LogLevel;
}

/** TLS and SASL for a listener that requires them (production: TLS + SCRAM-SHA-512); empty for a plain one. */
export interface KafkaSecurity {
  ssl?: { ca: string[] };
  sasl?: { mechanism: 'scram-sha-512'; username: string; password: string };
}

/** The security settings a program's validated config asks for (lib/config.ts kafkaEnv). */
export function kafkaSecurity(config: { KAFKA_CA?: string; KAFKA_SASL_USERNAME?: string; KAFKA_SASL_PASSWORD?: string }): KafkaSecurity {
  if (Boolean(config.KAFKA_SASL_USERNAME) !== Boolean(config.KAFKA_SASL_PASSWORD))
    throw new Error('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together: set both or neither');
  return {
    ...(config.KAFKA_CA ? { ssl: { ca: [config.KAFKA_CA] } } : {}),
    ...(config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
      ? { sasl: { mechanism: 'scram-sha-512' as const, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD } }
      : {}),
  };
}

export function kafkaClient({ log = silent, level = logLevel.WARN, ...config }: KafkaClientOptions): kafkajs.Kafka {
  const child = log.child({ component: 'kafka' });
  return new Kafka({
    ...config,
    logLevel: level,
    logCreator: () => (entry) => {
      const { fields, message } = logLine(entry);
      child[pinoLevel(entry.level)](fields, message);
    },
  });
}
