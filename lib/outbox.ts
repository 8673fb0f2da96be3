import { Gauge, type Registry } from 'prom-client';
import type { KafkaRecord } from './cloudevents.ts';
import { afterCommit, sqlIdentifier } from './pg.ts';

/**
 * The transactional outbox, the table side: a service writes its change and the change's record in
 * one transaction (append), and the relay (outbox-relay.ts) publishes committed records to Kafka in
 * order. A committed change is never without its message; a rolled-back one never has one.
 */

const checked = (name: string) => sqlIdentifier(name, 'outbox');

/** The outbox table (a migration's SQL): one row per record, unsent rows found by index. */
export function outboxTableSql(table = 'outbox'): string {
  const t = checked(table);
  return `
    CREATE TABLE ${t} (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      key text NOT NULL,
      value text NOT NULL,
      headers jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    );
    CREATE INDEX ${t}_unsent ON ${t} (id) WHERE sent_at IS NULL;
    CREATE INDEX ${t}_sent ON ${t} (sent_at) WHERE sent_at IS NOT NULL;
  `;
}

export interface Queryable {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

export interface OutboxLocation {
  /** Default outbox. */
  table?: string;
  /** The NOTIFY channel the relay listens on; default the table's name. */
  channel?: string;
}

/**
 * Where one outbox lives; append() and the SQL fragments keep its statements in one place. The
 * writer's transaction does not NOTIFY: PostgreSQL serialises every notifying commit on one lock,
 * a ceiling of about one commit per disk flush. A commit calls committed() instead, which the
 * publisher wires to the relay (lib/relay-wakeup.ts); unwired, the relay finds rows by polling.
 */
export class Outbox {
  readonly table: string;
  readonly channel: string;
  private wakeup: (() => void) | undefined;

  constructor({ table = 'outbox', channel }: OutboxLocation = {}) {
    this.table = checked(table);
    this.channel = checked(channel ?? table);
  }

  /** INSERT of one record with parameters $first..$first+3 (topic, key, value, headers). */
  insertSql(first = 1): string {
    return `INSERT INTO ${this.table} (topic, key, value, headers) VALUES ($${first}, $${first + 1}, $${first + 2}, $${first + 3})`;
  }

  /**
   * INSERT of one record per row of `from` (in a data-modifying CTE: a record only if the write
   * found its row), parameters $first..$first+3 as insertSql's.
   */
  insertFromSql(from: string, first = 1): string {
    return `INSERT INTO ${this.table} (topic, key, value, headers) SELECT $${first}::text, $${first + 1}::text, $${first + 2}::text, $${first + 3}::jsonb FROM ${from}`;
  }

  /** The relay's wake-up after a commit that appended (publisher.ts wires it). */
  onCommitted(wakeup: () => void): void {
    this.wakeup = wakeup;
  }

  /** Call after a single-statement write that appended has committed; append() in a transaction calls it itself. */
  committed(): void {
    this.wakeup?.();
  }

  params(record: KafkaRecord & { topic: string }): unknown[] {
    return [record.topic, record.key, record.value, record.headers];
  }

  /** Appends records inside the caller's open transaction (an inTransaction's tx) and wakes the relay once it commits. */
  async append(tx: Queryable, ...records: (KafkaRecord & { topic: string })[]): Promise<void> {
    if (records.length === 1) await tx.query(this.insertSql(), this.params(records[0] as KafkaRecord & { topic: string }));
    else if (records.length > 1)
      await tx.query(
        this.insertManySql(records.length),
        records.flatMap((r) => this.params(r)),
      );
    afterCommit(tx, () => this.committed());
  }

  /** One INSERT of `count` records, parameters in params() order record after record. */
  insertManySql(count: number): string {
    const rows = Array.from({ length: count }, (_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`);
    return `INSERT INTO ${this.table} (topic, key, value, headers) VALUES ${rows.join(', ')}`;
  }

  /** Unsent rows and the age of the oldest, for /metrics. */
  async backlog(db: Queryable): Promise<{ unsent: number; oldestAgeSeconds: number }> {
    const result = (await db.query(
      `SELECT count(*) AS unsent, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM ${this.table} WHERE sent_at IS NULL`,
    )) as { rows: { unsent: string; age: number | null }[] };
    return { unsent: Number(result.rows[0]?.unsent ?? 0), oldestAgeSeconds: result.rows[0]?.age ?? 0 };
  }

  /** `<prefix>_outbox_backlog` and `<prefix>_outbox_oldest_unsent_age_seconds`, read at scrape time. */
  registerMetrics(registry: Registry, db: Queryable, prefix: string): void {
    const outbox = this;
    new Gauge({
      name: `${prefix}_outbox_backlog`,
      help: 'Outbox rows not yet published to Kafka.',
      registers: [registry],
      async collect() {
        this.set((await outbox.backlog(db)).unsent);
      },
    });
    new Gauge({
      name: `${prefix}_outbox_oldest_unsent_age_seconds`,
      help: 'Age of the oldest outbox row not yet published.',
      registers: [registry],
      async collect() {
        this.set((await outbox.backlog(db)).oldestAgeSeconds);
      },
    });
  }
}
