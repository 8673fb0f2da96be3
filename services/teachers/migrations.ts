import type pg from 'pg';
import { outboxTableSql } from '../../lib/outbox.ts';
import { type Migration, migrate as migrateWith } from '../../lib/pg.ts';

/** Ordered, append-only: a migration once released is never edited, only followed by another. */
export const migrations: Migration[] = [
  {
    id: 1,
    name: 'teachers and outbox',
    sql: `
      CREATE TABLE teachers (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        full_name text NOT NULL,
        email text NOT NULL,
        phone_number text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        deleted boolean NOT NULL DEFAULT false
      );
      -- One live teacher per mailbox and tenant; a deleted teacher's address can be used again.
      CREATE UNIQUE INDEX teachers_email ON teachers (tenant_id, email) WHERE NOT deleted;
      CREATE INDEX teachers_listing ON teachers (tenant_id, id) WHERE NOT deleted;
      ${outboxTableSql()}
    `,
  },
];

export function migrate(pool: pg.Pool): Promise<number[]> {
  return migrateWith(pool, 'eventide-teachers-migrations', migrations);
}
