import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { inboxRetentionHours } from '../../lib/inbox.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import { idempotencyKeyTtlHours } from '../../lib/retention.ts';

export const paymentsConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    /** The consumer of the ledger's answers (approved, rejected, failed). */
    KAFKA_GROUP_ID: z.string().min(1).default('payments'),
    KAFKA_TOPIC: z.string().min(1).default('ledger.events'),
    OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(168),
    IDEMPOTENCY_KEY_TTL_HOURS: idempotencyKeyTtlHours,
    /** ledger.events keeps 30 days (cdk8s/platform.ts). */
    INBOX_RETENTION_HOURS: inboxRetentionHours(30),
    /** The largest single payment or withdrawal, in minor units. Default 10,000,000 (100,000.00). */
    /** identity's key set, which verifies every caller's bearer token. */
    IDENTITY_JWKS_URL: z.url({ error: 'IDENTITY_JWKS_URL is required: e.g. http://identity:8080/.well-known/jwks.json' }),
    MAX_AMOUNT_MINOR: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(10_000_000),
  })
  .superRefine(requirePostgres);
