import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { inboxRetentionHours } from '../../lib/inbox.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';

export const ledgerConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    KAFKA_GROUP_ID: z.string().min(1).default('ledger'),
    KAFKA_TOPIC: z.string().min(1).default('payments.events'),
    OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(168),
    /** payments.events keeps 30 days (cdk8s/platform.ts). */
    INBOX_RETENTION_HOURS: inboxRetentionHours(30),
    /** The settleBy an approval carries: payments pays out before it or declines (withdrawal.expired), which releases the reservation. */
    SETTLEMENT_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
    /** identity's key set, which verifies every caller's bearer token. */
    IDENTITY_JWKS_URL: z.url({ error: 'IDENTITY_JWKS_URL is required: e.g. http://identity:8080/.well-known/jwks.json' }),
    MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
  })
  .superRefine(requirePostgres);
