import { z } from 'zod';

const schema = z.object({
  KAFKA_BROKERS: z
    .string({ error: 'KAFKA_BROKERS is required: the Kafka bootstrap servers, host:port[,host:port]' })
    .transform((v) =>
      v
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .refine(
      (brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)),
      'KAFKA_BROKERS must be host:port[,host:port]',
    ),
  /** A postgres:// URL; without it, pg's own PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD (the chart's way). */
  DATABASE_URL: z.string().startsWith('postgres').optional(),
  PGHOST: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(168),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
});

export type CatalogConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv): CatalogConfig {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((i) => `  ${i.path.join('.') || 'environment'}: ${i.message}`);
  if (result.success && !result.data.DATABASE_URL && !result.data.PGHOST)
    problems.push('  DATABASE_URL or PGHOST: where PostgreSQL is (one of them is required)');
  if (!result.success || problems.length > 0) throw new Error(`catalog: invalid configuration\n${problems.join('\n')}`);
  return result.data;
}
