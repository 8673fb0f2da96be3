import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import { email, tenantId } from '../teachers/schema.ts';

export const identityConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    KAFKA_GROUP_ID: z.string().min(1).default('identity'),
    KAFKA_TOPIC: z.string().min(1).default('teachers.events'),
    /** The schools that exist; a teacher event of another tenant goes to the dead-letter topic. */
    TENANTS: env.list.refine((tenants) => tenants.length > 0, 'TENANTS must name at least one tenant, e.g. school-a,school-b'),
    /** How long an activation token works. Default 72 hours. */
    ACTIVATION_TOKEN_TTL_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(72),
    /** Sent outbox rows hold activation tokens: keep them only an hour. */
    OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(1),
    /** The administrator who can create the first teachers (from a Secret); their tenant, e.g. "platform". */
    BOOTSTRAP_ADMIN_TENANT: tenantId.default('platform'),
    BOOTSTRAP_ADMIN_EMAIL: email,
    BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'BOOTSTRAP_ADMIN_PASSWORD must have at least 12 characters'),
    /** Login attempts per account (tenant and e-mail or phone number) per 15 minutes. */
    LOGIN_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
    /** Login attempts per client address per minute. */
    LOGIN_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).default(60),
    /** "true" behind an ingress that appends the caller to X-Forwarded-For: the per-address login limit then counts callers, not the ingress. */
    TRUST_PROXY: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
  })
  .superRefine(requirePostgres);
