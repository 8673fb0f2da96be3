import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';

export const teachersConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    /** The schools that exist, e.g. "school-a,school-b"; a teacher of another tenant is refused (422). */
    TENANTS: env.list.refine((tenants) => tenants.length > 0, 'TENANTS must name at least one tenant, e.g. school-a,school-b'),
    /** identity's key set, which verifies the administrators' bearer tokens. */
    IDENTITY_JWKS_URL: z.url({ error: 'IDENTITY_JWKS_URL is required: e.g. http://identity:8080/.well-known/jwks.json' }),
    OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).default(168),
  })
  .superRefine(requirePostgres);
