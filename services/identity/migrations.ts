import type pg from 'pg';
import { inboxRetentionIndexSql, inboxTableSql } from '../../lib/inbox.ts';
import { outboxTableSql } from '../../lib/outbox.ts';
import { type Migration, migrate as migrateWith } from '../../lib/pg.ts';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: Migration[] = [
  {
    id: 1,
    name: 'users, activation tokens, signing keys, inbox and outbox',
    sql: `
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        email text NOT NULL,
        phone_number text,
        role text NOT NULL,
        status text NOT NULL CHECK (status IN ('PendingActivation', 'Active', 'Disabled')),
        password_hash text,
        -- The version of the entity (the teacher) the user last followed: older changes change nothing.
        source_version integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (entity_type, entity_id)
      );
      CREATE INDEX users_email ON users (tenant_id, email);
      CREATE INDEX users_phone ON users (tenant_id, phone_number);

      -- Only a hash of each token: the token itself goes to the teacher through identity.events.
      CREATE TABLE activation_tokens (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- At most one outstanding token per user: issuing one revokes the others first.
      CREATE UNIQUE INDEX activation_tokens_outstanding ON activation_tokens (user_id) WHERE used_at IS NULL AND revoked_at IS NULL;

      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        private_jwk jsonb NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ${inboxTableSql()}
      ${outboxTableSql()}
    `,
  },
  {
    id: 2,
    name: 'signing keys activate when published long enough; machine clients',
    sql: `
      -- A key is published before it signs, so every cached JWKS holds it by then; existing keys sign at once.
      ALTER TABLE signing_keys ADD COLUMN activates_at timestamptz NOT NULL DEFAULT now();

      -- OAuth 2.0 clients (client-credentials grant). Only a slow hash of each secret; after a rotation
      -- the previous one keeps working until previous_valid_until, so a client can roll over unhurried.
      CREATE TABLE oauth_clients (
        client_id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('merchant', 'payment-provider', 'organizer')),
        merchant_id uuid,
        -- The token's sub: the client id, or for an organizer its organizer id.
        subject text NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        secret_hash text NOT NULL,
        previous_secret_hash text,
        previous_valid_until timestamptz,
        -- Made from configuration (BOOTSTRAP_PROVIDER_CLIENT_*): revoked when the configuration names another.
        bootstrap boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK ((role = 'merchant') = (merchant_id IS NOT NULL))
      );
    `,
  },
  {
    id: 3,
    name: 'inbox ids are pruned',
    // lib/retention.ts deletes ids past INBOX_RETENTION_HOURS by this index.
    sql: inboxRetentionIndexSql(),
  },
];

export function migrate(pool: pg.Pool): Promise<number[]> {
  return migrateWith(pool, 'eventide-identity-migrations', migrations);
}
