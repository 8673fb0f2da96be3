import type pg from 'pg';
import type { Change } from '../catalog/events.ts';

/** Tables: each event's category (null once deleted: the tombstone keeps its version) and the count per category. */
export const migrations = `
  CREATE TABLE event_categories (event_id uuid PRIMARY KEY, category text, version integer NOT NULL);
  CREATE TABLE category_counts (category text PRIMARY KEY, events integer NOT NULL CHECK (events >= 0));
`;

const bump = (tx: pg.PoolClient, category: string, by: 1 | -1) =>
  by === 1
    ? tx.query(
        'INSERT INTO category_counts (category, events) VALUES ($1, 1) ON CONFLICT (category) DO UPDATE SET events = category_counts.events + 1',
        [category],
      )
    : tx.query('UPDATE category_counts SET events = events - 1 WHERE category = $1', [category]);

/** One change's effect on the counts; the caller runs it once per change (the inbox). Older versions change nothing. */
export async function applyChange(tx: pg.PoolClient, change: Change): Promise<void> {
  const { rows } = await tx.query<{ category: string | null; version: number }>(
    'SELECT category, version FROM event_categories WHERE event_id = $1 FOR UPDATE',
    [change.entityId],
  );
  const before = rows[0];
  if (before && before.version >= change.version) return;
  const category = change.kind === 'deleted' ? null : String(change.data.category);
  await tx.query(
    `INSERT INTO event_categories (event_id, category, version) VALUES ($1, $2, $3)
     ON CONFLICT (event_id) DO UPDATE SET category = $2, version = $3`,
    [change.entityId, category, change.version],
  );
  if (before?.category === category) return;
  if (before?.category) await bump(tx, before.category, -1);
  if (category) await bump(tx, category, 1);
}

export async function countsByCategory(db: pg.Pool): Promise<{ category: string; events: number }[]> {
  const { rows } = await db.query<{ category: string; events: number }>(
    'SELECT category, events FROM category_counts WHERE events > 0 ORDER BY category',
  );
  return rows;
}
