import type pg from 'pg';
import { inTransaction, sqlIdentifier } from './pg.ts';

/**
 * The inbox: a consumer that writes to PostgreSQL applies a record's effects and records the
 * record's ce_id for its group in the same transaction. A redelivered record (a replay after a
 * crash, a rebalance, a redrive) finds its id and has no second effect. Two members handling the
 * same record at once serialise on the primary key: the second waits, then sees a duplicate.
 */
const checked = (table: string) => sqlIdentifier(table, 'inbox');

export function inboxTableSql(table = 'inbox'): string {
  checked(table);
  return `
    CREATE TABLE ${table} (
      consumer_group text NOT NULL,
      event_id text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer_group, event_id)
    );
  `;
}

export class Inbox {
  private readonly pool: pg.Pool;
  private readonly group: string;
  private readonly table: string;

  constructor({ pool, group, table = 'inbox' }: { pool: pg.Pool; group: string; table?: string }) {
    this.pool = pool;
    this.group = group;
    this.table = checked(table);
  }

  /**
   * Several events in one transaction, in order: each id not seen before is recorded and its
   * effects applied; any error rolls all of them back. One commit for a batch instead of one per
   * event — what bounds a consumer's rate (bench/onboarding).
   */
  async onceEach<T>(
    items: readonly T[],
    idOf: (item: T) => string,
    effects: (tx: pg.PoolClient, item: T) => Promise<void>,
  ): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      let applied = 0;
      for (const item of items) {
        const { rowCount } = await tx.query(`INSERT INTO ${this.table} (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
          this.group,
          idOf(item),
        ]);
        if (rowCount === 0) continue;
        await effects(tx, item);
        applied++;
      }
      return applied;
    });
  }

  /** Applies effects once per event id: 'applied' the first time, 'duplicate' ever after. */
  async once(eventId: string, effects: (tx: pg.PoolClient) => Promise<void>): Promise<'applied' | 'duplicate'> {
    return inTransaction(this.pool, async (tx) => {
      const { rowCount } = await tx.query(`INSERT INTO ${this.table} (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        this.group,
        eventId,
      ]);
      if (rowCount === 0) return 'duplicate';
      await effects(tx);
      return 'applied';
    });
  }
}
