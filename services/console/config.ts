import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';

export const consoleConfig = z.object({
  ...kafkaEnv,
  PORT: env.port,
  LOG_LEVEL: env.logLevel,
  /** identity's base URL: the console logs a platform administrator in there. */
  IDENTITY_URL: z.url({ error: 'IDENTITY_URL is required: e.g. http://identity:8080' }),
  /** identity's key set, which verifies the administrator's token on every request. */
  IDENTITY_JWKS_URL: z.url({ error: 'IDENTITY_JWKS_URL is required: e.g. http://identity:8080/.well-known/jwks.json' }),
  /** The namespace whose Topics and ConsumerGroups the console shows (the platform's own). */
  WATCH_NAMESPACE: z.string().min(1, 'WATCH_NAMESPACE is required: the namespace of the Topics and ConsumerGroups'),
  /** Jaeger's query API (the kind profile's Jaeger): a dead letter's trace is drawn from it. Unset: tracing is off. */
  JAEGER_QUERY_URL: z.url({ error: 'JAEGER_QUERY_URL must be a URL, e.g. http://jaeger:16686' }).optional(),
  /** How far back a group's lag and replicas chart goes. */
  HISTORY_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
});
export type ConsoleConfig = z.infer<typeof consoleConfig>;
