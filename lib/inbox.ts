import type pg from 'pg';
import { z } from 'zod';
import { inTransaction, sqlIdentifier } from './pg.ts';
import type { RetentionRule } from './retention.ts';

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

/**
 * The index the inbox's retention deletes by (a migration appended after inboxTableSql's). Building
 * it locks the table's writes for as long as it takes: seconds for millions of rows.
 */
export function inboxRetentionIndexSql(table = 'inbox'): string {
  const t = checked(table);
  return `CREATE INDEX IF NOT EXISTS ${t}_received_at ON ${t} (consumer_group, received_at);`;
}

/**
 * How long an id must be remembered: as long as its record can be delivered again, i.e. the
 * consumed topic's retention.ms, plus 8 days because Kafka deletes a whole segment only once its
 * newest record is past retention (a record outlives it by up to segment.ms, 7 days by default),
 * and a day for the retention check and clocks. An id forgotten sooner would apply a replay twice.
 */
export const inboxRetentionHoursFor = (topicRetentionDays: number): number => (topicRetentionDays + 8) * 24;

/**
 * The default for a service that does not say: safe for every topic the platform has (the longest
 * retention, payments.events and ledger.events, is 30 days: cdk8s/platform.ts).
 */
export const defaultInboxRetentionHours = inboxRetentionHoursFor(30);

/** INBOX_RETENTION_HOURS for a service's schema, defaulting to what its consumed topic needs. */
export const inboxRetentionHours = (topicRetentionDays: number) =>
  z.coerce
    .number({ error: 'INBOX_RETENTION_HOURS must be a number of hours' })
    .positive('INBOX_RETENTION_HOURS must be positive')
    .default(inboxRetentionHoursFor(topicRetentionDays));

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
   * A batch as a set, in one transaction: all its ids recorded in one statement, then `effects`
   * with the items new to the group (each id once, in the batch's order), whose writes are the
   * caller's multi-row statements. Any error rolls all of it back. Returns how many were new.
   */
  async onceAsSet<T>(
    items: readonly T[],
    idOf: (item: T) => string,
    effects: (tx: pg.PoolClient, fresh: T[]) => Promise<void>,
  ): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const left = await this.fresh(tx, items.map(idOf));
      const fresh = items.filter((item) => left.delete(idOf(item)));
      if (fresh.length > 0) await effects(tx, fresh);
      return fresh.length;
    });
  }

  /** Records ids in one statement inside `tx`; returns those new to the group. */
  private async fresh(tx: pg.PoolClient, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const { rows } = await tx.query<{ event_id: string }>(
      `INSERT INTO ${this.table} (consumer_group, event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id`,
      // Sorted, so that two members inserting overlapping batches (a rebalance) take the keys in one order and cannot deadlock.
      [this.group, [...new Set(ids)].sort()],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /** Its group's ids are deleted `maxAgeMs` after they were received (lib/retention.ts). */
  retention(maxAgeMs: number): RetentionRule {
    return { table: this.table, column: 'received_at', maxAgeMs, scope: { column: 'consumer_group', value: this.group } };
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
