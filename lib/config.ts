import { hostname } from 'node:os';
import { z } from 'zod';

/** "a, b,,c" → ["a", "b", "c"]; unset → []. */
export const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * One schema per environment variable, to be put together per program under the variable's name
 * (`z.object({ KAFKA_BROKERS: env.kafkaBrokers, ... })`); messages name the variable, so they read
 * well in the one error `loadConfig` throws.
 */
export const env = {
  kafkaBrokers: z
    .string({ error: 'KAFKA_BROKERS is required: the Kafka bootstrap servers, host:port[,host:port]' })
    .transform(commaList)
    .refine(
      (brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)),
      'KAFKA_BROKERS must be host:port[,host:port]',
    ),
  logLevel: z.enum(logLevels).default('info'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /** A postgres:// URL; without it, pg's own PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD (the chart's way). */
  databaseUrl: z.string().startsWith('postgres').optional(),
  elasticsearchUrl: z.url({ error: 'ELASTICSEARCH_URL is required: e.g. http://elasticsearch:9200' }),
  elasticsearchUsername: z.string().optional(),
  elasticsearchPassword: z.string().optional(),
  /** PEM of the CA that signed the brokers' TLS certificates (Strimzi's cluster CA); unset for a plain listener. */
  kafkaCa: z.string().includes('BEGIN CERTIFICATE', { message: 'KAFKA_CA must be a PEM certificate' }).optional(),
  /** SCRAM-SHA-512 user (a Strimzi KafkaUser); unset for a listener without authentication. */
  kafkaSaslUsername: z.string().min(1).optional(),
  kafkaSaslPassword: z.string().min(1).optional(),
  /** A comma-separated list, empty when unset. */
  list: z.string().optional().transform(commaList),
  /** Kubernetes sets it from the downward API; elsewhere the host name stands in. */
  podName: z.string().min(1).default(hostname()),
};

/** Where Kafka is and how to authenticate, for every program that talks to it (spread into its schema). */
export const kafkaEnv = {
  KAFKA_BROKERS: env.kafkaBrokers,
  KAFKA_CA: env.kafkaCa,
  KAFKA_SASL_USERNAME: env.kafkaSaslUsername,
  KAFKA_SASL_PASSWORD: env.kafkaSaslPassword,
};

const samplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * OpenTelemetry's standard variables, read by every program (runService validates them beside the
 * program's own schema). Tracing is on when an OTLP endpoint is set (lib/tracing.ts).
 */
export const tracingEnv = {
  OTEL_SDK_DISABLED: z.enum(['true', 'false'], { error: 'OTEL_SDK_DISABLED must be true or false' }).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'OTEL_TRACES_EXPORTER must be otlp or none' }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ error: 'OTEL_EXPORTER_OTLP_ENDPOINT must be a URL, e.g. http://jaeger:4318' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ error: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be a URL, e.g. http://jaeger:4318/v1/traces' })
    .optional(),
  OTEL_TRACES_SAMPLER: z.enum(samplers, { error: `OTEL_TRACES_SAMPLER must be one of ${samplers.join(', ')}` }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1' })
    .min(0, 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1')
    .max(1, 'OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1')
    .optional(),
};
export const tracingSchema = z.object(tracingEnv);
export type TracingConfig = z.infer<typeof tracingSchema>;

/** The environment does not fit the program's schema; the message names every problem. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(program: string, problems: string[]) {
    super(`${program}: invalid configuration\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Validates the environment against the program's schema, naming every problem in one error. */
export function loadConfig<T extends z.ZodType>(program: string, schema: T, source: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(
    program,
    result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
  );
}
