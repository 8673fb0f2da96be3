import type pg from 'pg';
import { inboxRetentionIndexSql, inboxTableSql } from '../../lib/inbox.ts';
import { outboxTableSql } from '../../lib/outbox.ts';
import { type Migration, migrate as migrateWith } from '../../lib/pg.ts';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: Migration[] = [
  {
    id: 1,
    name: 'merchants, payments, withdrawals, idempotency keys, inbox and outbox',
    sql: `
      CREATE TABLE merchants (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL,
        currency char(3) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE payments (
        id uuid PRIMARY KEY,
        merchant_id uuid NOT NULL REFERENCES merchants (id),
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('created', 'completed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      );
      CREATE INDEX payments_by_merchant ON payments (merchant_id, id);
      CREATE TABLE withdrawals (
        id uuid PRIMARY KEY,
        merchant_id uuid NOT NULL REFERENCES merchants (id),
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'settled', 'failed')),
        reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX withdrawals_by_merchant ON withdrawals (merchant_id, id);
      -- An Idempotency-Key, the hash of its request (route and body) and the answer, stored in the
      -- transaction of the write itself.
      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        status integer NOT NULL,
        body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ${inboxTableSql()}
      ${outboxTableSql()}
    `,
  },
  {
    id: 2,
    name: 'idempotency keys expire, inbox ids are pruned',
    // lib/retention.ts deletes keys past IDEMPOTENCY_KEY_TTL_HOURS and ids past INBOX_RETENTION_HOURS by these.
    sql: `CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at); ${inboxRetentionIndexSql()}`,
  },
];

export function migrate(pool: pg.Pool): Promise<number[]> {
  return migrateWith(pool, 'eventide-payments-migrations', migrations);
}
