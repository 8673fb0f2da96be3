import type pg from 'pg';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { sleep } from './backoff.ts';
import { sqlIdentifier } from './pg.ts';

/**
 * Tables that would otherwise grow for ever (Idempotency-Keys, inboxes) are kept bounded: rows
 * past their age are deleted by a periodic job, a batch at a time.
 */
export interface RetentionRule {
  table: string;
  /** A timestamptz column: the row's age counts from it. */
  column: string;
  maxAgeMs: number;
  /** Only rows whose column equals value (an inbox's consumer group): others keep their own rule. */
  scope?: { column: string; value: string };
}

/**
 * One batch's DELETE: at most `limit` rows past their age, picked by ctid (a TID scan), so each
 * statement stays short — well inside statement_timeout — however far behind the job is. Pure.
 */
export function pruneStatement(rule: RetentionRule, limit: number): { text: string; values: unknown[] } {
  const table = sqlIdentifier(rule.table, 'retention table');
  const column = sqlIdentifier(rule.column, 'retention column');
  const values: unknown[] = [rule.maxAgeMs / 1000, limit];
  let scope = '';
  if (rule.scope) {
    values.push(rule.scope.value);
    scope = ` AND ${sqlIdentifier(rule.scope.column, 'retention scope column')} = $3`;
  }
  return {
    text: `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} < now() - make_interval(secs => $1)${scope} LIMIT $2))`,
    values,
  };
}

/** IDEMPOTENCY_KEY_TTL_HOURS: how long a key answers a retry with the first answer; then it is free. Default 24 h, as payment APIs keep theirs. */
export const idempotencyKeyTtlHours = z.coerce
  .number({ error: 'IDEMPOTENCY_KEY_TTL_HOURS must be a number of hours' })
  .positive('IDEMPOTENCY_KEY_TTL_HOURS must be positive')
  .max(24 * 365, 'IDEMPOTENCY_KEY_TTL_HOURS must be at most a year')
  .default(24);

/** Idempotency-Keys (a service's `idempotency_keys` table, created_at) expire after `ttlHours`. */
export function idempotencyKeysRetention(ttlHours: number, table = 'idempotency_keys'): RetentionRule {
  return { table, column: 'created_at', maxAgeMs: ttlHours * 3600_000 };
}

/**
 * Runs the rules now and then (every `intervalMs`, and once at start): every replica may run it,
 * since a row two replicas both pick is deleted once. A database that does not answer is a
 * warning and the next round's work. `<prefix>_retention_removed_rows_total{table}` counts what
 * it deleted.
 */
export interface RetentionJobOptions {
  pool: pg.Pool;
  log: Logger;
  registry: Registry;
  /** The metric's prefix, e.g. the service's name. */
  prefix: string;
  /** Default a minute: an expired Idempotency-Key is free at most this long after its expiry. */
  intervalMs?: number;
  /** Rows per DELETE; default 1000. */
  batchSize?: number;
}

export class RetentionJob {
  private readonly options: RetentionJobOptions;
  private readonly rules: RetentionRule[] = [];
  private readonly removed: Counter<'table'>;
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(options: RetentionJobOptions) {
    this.options = options;
    this.removed = new Counter({
      name: `${options.prefix}_retention_removed_rows_total`,
      help: 'Rows deleted because they outlived their retention (expired Idempotency-Keys, inbox ids past the topic retention).',
      labelNames: ['table'],
      registers: [options.registry],
    });
  }

  add(rule: RetentionRule): this {
    pruneStatement(rule, 1);
    this.rules.push(rule);
    // Shown as 0 from the start, so a rate() over it has a baseline.
    this.removed.inc({ table: rule.table }, 0);
    return this;
  }

  /** Deletes what is due under every rule, batch after batch; how many rows per table. */
  async runOnce(): Promise<Record<string, number>> {
    const batchSize = this.options.batchSize ?? 1_000;
    const counts: Record<string, number> = {};
    for (const rule of this.rules) {
      const statement = pruneStatement(rule, batchSize);
      try {
        for (;;) {
          const { rowCount } = await this.options.pool.query(statement.text, statement.values);
          const n = rowCount ?? 0;
          counts[rule.table] = (counts[rule.table] ?? 0) + n;
          this.removed.inc({ table: rule.table }, n);
          if (n < batchSize || this.stopped.signal.aborted) break;
        }
      } catch (error) {
        this.options.log.warn({ err: error, table: rule.table }, 'retention: could not delete old rows; next round');
      }
    }
    return counts;
  }

  start(): void {
    this.loop ??= (async () => {
      while (!this.stopped.signal.aborted) {
        const counts = await this.runOnce();
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        if (total > 0) this.options.log.info({ removed: counts }, 'retention: old rows deleted');
        await sleep(this.options.intervalMs ?? 60_000, this.stopped.signal);
      }
    })();
  }

  /** Lets the round in flight finish its batch, then stops. */
  async stop(): Promise<void> {
    this.stopped.abort();
    await this.loop;
  }
}
