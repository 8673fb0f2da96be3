import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { inboxRetentionHours } from '../../lib/inbox.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import { email, tenantId } from '../teachers/schema.ts';
import { type DeliveryKey, parseDeliveryKey } from './activation-delivery.ts';
import { clientId, minClientSecretLength } from './client-credentials.ts';

/** Both or neither: a provider client needs its id and its secret. */
function providerClientPair(
  config: { BOOTSTRAP_PROVIDER_CLIENT_ID?: string; BOOTSTRAP_PROVIDER_CLIENT_SECRET?: string },
  ctx: z.RefinementCtx,
) {
  if ((config.BOOTSTRAP_PROVIDER_CLIENT_ID === undefined) !== (config.BOOTSTRAP_PROVIDER_CLIENT_SECRET === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['BOOTSTRAP_PROVIDER_CLIENT_ID and BOOTSTRAP_PROVIDER_CLIENT_SECRET'],
      message: 'set both or neither',
    });
}

/**
 * Activation tokens leave sealed to the deliverer's key, or in clear only when development says so
 * explicitly: neither is a start-up error, so a production without the key never publishes tokens.
 */
function activationDelivery(
  config: { ACTIVATION_DELIVERY_PUBLIC_JWK?: DeliveryKey; ACTIVATION_TOKEN_IN_CLEAR: boolean },
  ctx: z.RefinementCtx,
) {
  const sealed = config.ACTIVATION_DELIVERY_PUBLIC_JWK !== undefined;
  if (sealed === config.ACTIVATION_TOKEN_IN_CLEAR)
    ctx.addIssue({
      code: 'custom',
      path: ['ACTIVATION_DELIVERY_PUBLIC_JWK'],
      message: sealed
        ? 'set ACTIVATION_DELIVERY_PUBLIC_JWK or ACTIVATION_TOKEN_IN_CLEAR=true, not both'
        : "ACTIVATION_DELIVERY_PUBLIC_JWK is required: the deliverer's public JWK, activation tokens are encrypted to it (development only: ACTIVATION_TOKEN_IN_CLEAR=true publishes them in clear)",
    });
}

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
    /** The payment provider's client (from a Secret, optional): a payment-provider client with this id and secret is kept so. */
    BOOTSTRAP_PROVIDER_CLIENT_ID: clientId.optional(),
    BOOTSTRAP_PROVIDER_CLIENT_SECRET: z
      .string()
      .min(minClientSecretLength, `BOOTSTRAP_PROVIDER_CLIENT_SECRET must have at least ${minClientSecretLength} characters`)
      .optional(),
    /** After a client's secret is rotated, the previous one keeps working this long. Default 600 s. */
    CLIENT_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).default(600),
    /** A signing key signs this long, then its successor (published 10 minutes before) takes over. Default 24 hours. */
    SIGNING_KEY_ROTATION_HOURS: z.coerce
      .number()
      .positive()
      .max(24 * 365)
      .default(24),
    /** Login attempts per account (tenant and e-mail) per 15 minutes; failed client authentications per client id too. */
    LOGIN_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
    /** Login, activation, token and resend attempts per client address per minute. */
    LOGIN_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).default(60),
    /** Activation e-mails a caller may ask to be sent again, per address (tenant and e-mail) per hour. */
    ACTIVATION_RESENDS_PER_ACCOUNT: z.coerce.number().int().min(1).default(3),
    /** "true" behind an ingress that appends the caller to X-Forwarded-For: the per-address login limit then counts callers, not the ingress. */
    TRUST_PROXY: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** Inbox ids of teachers.events (kept 7 days) are forgotten after this. */
    INBOX_RETENTION_HOURS: inboxRetentionHours(7),
    MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
    /**
     * The deliverer's public key (a JWK: EC P-256/384/521, OKP X25519, or RSA ≥ 2048 bits): activation
     * tokens go out on identity.events encrypted to it (activation.requested.v2). Required unless
     * ACTIVATION_TOKEN_IN_CLEAR=true.
     */
    ACTIVATION_DELIVERY_PUBLIC_JWK: z
      .string()
      .optional()
      .transform((text, ctx) => {
        if (text === undefined || text.trim() === '') return undefined;
        try {
          return parseDeliveryKey(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `ACTIVATION_DELIVERY_PUBLIC_JWK ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
    /** Development only: "true" publishes activation tokens in clear (activation.requested.v1) when no deliverer key is set. */
    ACTIVATION_TOKEN_IN_CLEAR: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /**
     * Passwords and client secrets hashed at once. Each scrypt takes 64 MiB: raise it only with the
     * container's memory limit (Node ~140 MiB + this × 64 MiB must stay under it; 256 MiB: 1) and
     * its CPU (one core hashes one at a time no slower). Default 1.
     */
    PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(4).default(1),
    /** Hashes waiting for their turn; a login beyond that is 503 with Retry-After. Default 8. */
    PASSWORD_HASH_QUEUE: z.coerce.number().int().min(0).max(100).default(8),
  })
  .superRefine(requirePostgres)
  .superRefine(providerClientPair)
  .superRefine(activationDelivery);
