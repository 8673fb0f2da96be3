import pg from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { backoffMs, sleep } from './backoff.ts';
import { clientTimedOut } from './database-timeouts.ts';
import { failed, inTrace, SpanKind, startSpan, tracingOn } from './tracing.ts';

/** How long a request waits for PostgreSQL by default (PG_TIMEOUT_MS): a few seconds, then 503. */
export const defaultPgTimeoutMs = 3_000;

/**
 * The pool's bounds for one budget `timeoutMs`. statement_timeout (server side) ends a slow
 * statement cleanly (SQLSTATE 57014) and keeps the connection; lock_timeout gives up on a row or
 * table held by someone else after half of it (55P03), leaving the rest for the answer; the
 * client's own read timeout, a little later, is what ends a wait on a server that answers nothing
 * at all (frozen, partitioned); connectionTimeoutMillis bounds the wait for a pooled connection
 * and for a new one. Pure.
 */
export function poolTimeouts(timeoutMs: number): {
  connectionTimeoutMillis: number;
  statement_timeout: number;
  lock_timeout: number;
  query_timeout: number;
} {
  return {
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    lock_timeout: Math.max(1, Math.ceil(timeoutMs / 2)),
    query_timeout: timeoutMs + Math.min(1_000, Math.ceil(timeoutMs / 4)),
  };
}

/**
 * A pool whose connections can fail without crashing the process. pg-pool's query() listens for
 * a client's 'error' only once; a connection that PostgreSQL terminates can emit two, and the
 * second, unheard, crashed the catalog when PostgreSQL restarted (the chaos suite's "restart
 * PostgreSQL"). Every client keeps one listener for its whole life. Every wait on the database is
 * bounded (poolTimeouts): a paused PostgreSQL hung requests for as long as it was paused (#28).
 */
export function createPool({
  url,
  log,
  max = 20,
  timeoutMs = defaultPgTimeoutMs,
}: {
  url?: string;
  log: Logger;
  max?: number;
  /** PG_TIMEOUT_MS: the budget of one wait (see poolTimeouts). */
  timeoutMs?: number;
}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, keepAlive: true, ...poolTimeouts(timeoutMs) });
  pool.on('error', (error) => log.warn({ err: error }, 'idle database connection failed'));
  if (tracingOn()) traceQueries(pool);
  pool.on('connect', (client) => {
    client.on('error', (error) => log.debug({ err: error }, 'database connection failed'));
    if (tracingOn()) traceQueries(client);
  });
  return pool;
}

/**
 * Whether PostgreSQL answers, for a readiness check: SELECT 1 within `timeoutMs` on a connection
 * of its own, so a pool busy with requests is not mistaken for a database down, and a paused
 * database turns the check false within the bound instead of holding it.
 */
export function databaseProbe({ url, timeoutMs = 1_000 }: { url?: string; timeoutMs?: number }): {
  answers: () => Promise<boolean>;
  end: () => Promise<void>;
} {
  const pool = new pg.Pool({
    connectionString: url,
    max: 1,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  // A probe's connection failing is an answer (false), not a crash.
  pool.on('error', () => undefined);
  return {
    answers: async () => (await pool.query('SELECT 1')).rowCount === 1,
    end: () => pool.end(),
  };
}

/**
 * What a statement does, for its span's name: its first keyword, or for a WITH the first change
 * its CTEs make (INSERT, UPDATE, DELETE), else SELECT.
 */
export function sqlOperation(text: string): string {
  const first = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase();
  if (first !== 'WITH') return first ?? 'QUERY';
  return /\b(INSERT|UPDATE|DELETE|MERGE)\b/i.exec(text)?.[1]?.toUpperCase() ?? 'SELECT';
}

/**
 * A span per query made inside a trace (a request, a handled event), with its SQL text (the
 * parameters, which may be personal data, are not recorded). Queries outside any trace (health
 * checks, metrics) make none. Callback-style calls pass through untraced: Eventide awaits its
 * queries, and pool.query's own call of its client is one of them (no second span).
 */
function traceQueries(client: pg.Pool | pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    if (!inTrace() || typeof args.at(-1) === 'function') return query(...args);
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    const operation = sqlOperation(text);
    const span = startSpan(`pg ${operation}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': text.slice(0, 2048) },
    });
    const result = query(...args);
    if (!(result instanceof Promise)) {
      span?.end();
      return result;
    }
    return result.then(
      (value) => {
        span?.end();
        return value;
      },
      (error: unknown) => {
        failed(span, error);
        span?.end();
        throw error;
      },
    );
  }) as typeof client.query;
}

/**
 * Runs work in one transaction on a pooled client: COMMIT on success, ROLLBACK on any error. A
 * connection lost mid-transaction is reported on the checked-out client too; a broken client is
 * destroyed, not returned to the pool. So is one whose statement the client gave up waiting for:
 * the server may still be running it, and a ROLLBACK would only wait as long again (PostgreSQL
 * rolls back when the connection closes).
 */
const commitHooks = new WeakMap<object, (() => void)[]>();

/**
 * Runs `hook` once the transaction `tx` (an inTransaction's client) has committed; a rollback
 * drops it. For what must not happen inside the transaction, such as waking the outbox relay.
 */
export function afterCommit(tx: object, hook: () => void): void {
  const hooks = commitHooks.get(tx);
  if (hooks) hooks.push(hook);
  else commitHooks.set(tx, [hook]);
}

export async function inTransaction<T>(pool: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  commitHooks.delete(client);
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    for (const hook of commitHooks.get(client) ?? []) hook();
    return result;
  } catch (error) {
    if (clientTimedOut(error)) broken ??= error as Error;
    else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken ??= rollbackError));
    throw error;
  } finally {
    commitHooks.delete(client);
    client.off('error', onError);
    client.release(broken);
  }
}

/** A table or channel name spliced into SQL: only plain lowercase identifiers pass. */
export function sqlIdentifier(name: string, what: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`${what}: ${JSON.stringify(name)} is not a plain SQL identifier`);
  return name;
}

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * How long a migration may take: far beyond a request's bound, since an index built on a large
 * table takes a while, and the advisory lock waits for another replica's migrations.
 */
const migrationTimeoutMs = 15 * 60_000;

/**
 * Applies pending migrations under a transaction-scoped advisory lock, so replicas starting at
 * once apply each migration exactly once (the others wait, then find nothing to do). Migrations
 * are ordered and append-only: one once released is never edited, only followed by another.
 */
export async function migrate(pool: pg.Pool, lockKey: string, migrations: readonly Migration[]): Promise<number[]> {
  return inTransaction(pool, async (tx) => {
    // pg reads a query's own query_timeout (not in its types) before the pool's.
    const query = (text: string, values?: unknown[]) =>
      tx.query<{ id: number }>({ text, values, query_timeout: migrationTimeoutMs } as pg.QueryConfig);
    await query(`SET LOCAL statement_timeout = ${migrationTimeoutMs}; SET LOCAL lock_timeout = ${migrationTimeoutMs}`);
    await query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);
    await query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await query('SELECT id FROM schema_migrations');
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await query(migration.sql);
      await query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      applied.push(migration.id);
    }
    return applied;
  });
}

/** Where PostgreSQL is: a URL, or pg's own PG* variables (the chart's way, with the password from a Secret). */
export const postgresEnv = {
  /** A postgres:// URL; without it, pg's own PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD. */
  DATABASE_URL: z.string().startsWith('postgres').optional(),
  PGHOST: z.string().optional(),
  // Read by pg itself; listed so they are validated and a chart that sets them is known to be read.
  PGPORT: z.coerce.number().int().min(1).max(65535).optional(),
  PGDATABASE: z.string().min(1).optional(),
  PGUSER: z.string().min(1).optional(),
  PGPASSWORD: z.string().optional(),
  /**
   * The longest a request waits for PostgreSQL, in ms: for a connection, and for each statement
   * (see poolTimeouts); past it the API answers 503 with Retry-After. Default 3000.
   */
  PG_TIMEOUT_MS: z.coerce
    .number({ error: 'PG_TIMEOUT_MS must be a number of milliseconds' })
    .int('PG_TIMEOUT_MS must be a whole number of milliseconds')
    .min(100, 'PG_TIMEOUT_MS must be at least 100 ms')
    .max(600_000, 'PG_TIMEOUT_MS must be at most 600000 ms (10 minutes)')
    .default(defaultPgTimeoutMs),
};

/** For a schema's superRefine: one of DATABASE_URL and PGHOST must be set. */
export function requirePostgres(config: { DATABASE_URL?: string; PGHOST?: string }, ctx: z.RefinementCtx): void {
  if (!config.DATABASE_URL && !config.PGHOST)
    ctx.addIssue({ code: 'custom', path: ['DATABASE_URL or PGHOST'], message: 'where PostgreSQL is (one of them is required)' });
}

/**
 * Migrates in the background until it succeeds: PostgreSQL not there yet is "not ready,
 * retrying", never an exit. `migrated()` is for the readiness check; `done` settles once
 * migrated or stopped by the signal.
 */
export function migrateInBackground({ run, log, signal }: { run: () => Promise<number[]>; log: Logger; signal: AbortSignal }): {
  migrated: () => boolean;
  done: Promise<boolean>;
} {
  let migrated = false;
  const done = (async () => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const applied = await run();
        if (applied.length > 0) log.info({ applied }, 'migrations applied');
        migrated = true;
        return true;
      } catch (error) {
        const retryInMs = backoffMs(attempt, { maxMs: 10_000 });
        log.warn({ err: error, retryInMs }, 'database not ready for migrations; retrying');
        await sleep(retryInMs, signal);
      }
    }
    return false;
  })();
  return { migrated: () => migrated, done };
}
