import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import { idempotencyKeyTtlHours } from '../../lib/retention.ts';

export const catalogConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    /** identity's key set, which verifies the bearer tokens of writes (reads are public). */
    IDENTITY_JWKS_URL: z.url({ error: 'IDENTITY_JWKS_URL is required: e.g. http://identity:8080/.well-known/jwks.json' }),
    OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(168),
    IDEMPOTENCY_KEY_TTL_HOURS: idempotencyKeyTtlHours,
    MAX_BODY_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
  })
  .superRefine(requirePostgres);

export type CatalogConfig = z.infer<typeof catalogConfig>;
