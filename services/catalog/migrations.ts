import type pg from 'pg';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: { id: number; name: string; sql: string }[] = [
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
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        key text NOT NULL,
        value text NOT NULL,
        headers jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      );
      CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
      CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

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
];

/**
 * Applies pending migrations under a transaction-scoped advisory lock, so replicas starting at
 * once apply each migration exactly once (the others wait, then find nothing to do).
 */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['eventide-catalog-migrations']);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ id: number }>('SELECT id FROM schema_migrations');
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      applied.push(migration.id);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
