import type pg from 'pg';
import { outboxTableSql } from '../../lib/outbox.ts';
import { type Migration, migrate as migrateWith } from '../../lib/pg.ts';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: Migration[] = [
  {
    id: 1,
    name: 'events and outbox',
    sql: `
      CREATE TABLE events (
        id uuid PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 1),
        data jsonb NOT NULL,
        starts_at timestamptz NOT NULL,
        category text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted boolean NOT NULL DEFAULT false
      );
      CREATE INDEX events_listing ON events (starts_at, id) WHERE NOT deleted;
      CREATE INDEX events_category ON events (category, starts_at, id) WHERE NOT deleted;

      -- One row per change, written in the same transaction as the change; the relay publishes
      -- unsent rows in id order and marks them sent.
      ${outboxTableSql()}

      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        request_hash text NOT NULL,
        status integer NOT NULL,
        body jsonb NOT NULL,
        headers jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 2,
    name: 'idempotency keys expire',
    // Keys older than IDEMPOTENCY_KEY_TTL_HOURS are deleted by lib/retention.ts, found by this index.
    sql: 'CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);',
  },
];

/** Replicas starting at once apply each migration exactly once (lib/pg.ts). */
export function migrate(pool: pg.Pool): Promise<number[]> {
  return migrateWith(pool, 'eventide-catalog-migrations', migrations);
}
