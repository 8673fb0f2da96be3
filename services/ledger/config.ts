import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
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
    /** How long an approved withdrawal may wait for its settlement before the reservation is released. */
    SETTLEMENT_WINDOW_SECONDS: z.coerce.number().int().positive().default(300),
    /** Extra time past the window before compensating, for a settlement already on its way. */
    COMPENSATION_GRACE_SECONDS: z.coerce.number().int().min(0).default(60),
    MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
  })
  .superRefine(requirePostgres);
