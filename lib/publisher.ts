import type pg from 'pg';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Health } from './health.ts';
import { kafkaSecurity } from './kafka.ts';
import { Outbox, OutboxRelay } from './outbox.ts';
import { createPool, migrateInBackground } from './pg.ts';

/** What a publishing service's configuration holds (kafkaEnv, postgresEnv and OUTBOX_RETENTION_HOURS). */
export interface PublisherConfig {
  DATABASE_URL?: string;
  KAFKA_BROKERS: string[];
  KAFKA_CA?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  OUTBOX_RETENTION_HOURS: number;
}

export interface Publisher {
  pool: pg.Pool;
  registry: Registry;
  /** Ready once set-up has run and while the database answers. */
  health: Health;
  migrated: () => boolean;
  /** For a consumer's prepare: throws (so it retries with backoff) until set-up has run. */
  requireSetUp: () => Promise<void>;
  /** Settles once set-up has run (true) or the publisher stopped first (false). */
  setUp: Promise<boolean>;
  /** After the server has closed: stops set-up retries, flushes and stops the relay, closes the pool. */
  stop: () => Promise<void>;
}

/**
 * The plumbing of a service that writes through the outbox: its pool, `/metrics` registry with the
 * outbox gauges, set-up (migrations and whatever else needs PostgreSQL) retried in the background
 * until it succeeds — a database not there yet is "not ready, retrying" — then the relay, and the
 * readiness check that says which of the two is missing.
 */
export function startPublisher({
  name,
  config,
  log,
  setup,
  lockKey = `eventide-${name}-outbox-relay`,
}: {
  /** The metrics prefix and the relay's client id (`<name>-relay`). */
  name: string;
  config: PublisherConfig;
  log: Logger;
  setup: (pool: pg.Pool) => Promise<number[]>;
  /** The advisory lock that elects one relay; default `eventide-<name>-outbox-relay`. */
  lockKey?: string;
}): Publisher {
  const pool = createPool({ url: config.DATABASE_URL, log });
  const registry = new Registry();
  new Outbox().registerMetrics(registry, pool, name.replaceAll('-', '_'));
  const relay = new OutboxRelay({
    databaseUrl: config.DATABASE_URL,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    log,
    clientId: `${name}-relay`,
    lockKey,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
  });
  const stopped = new AbortController();
  const migration = migrateInBackground({ run: () => setup(pool), log, signal: stopped.signal });
  void migration.done.then((done) => done && relay.start());
  const health = new Health().ready('database', async () =>
    migration.migrated()
      ? { ok: (await pool.query('SELECT 1')).rowCount === 1, detail: 'database unreachable' }
      : { ok: false, detail: 'migrations not applied yet' },
  );
  return {
    pool,
    registry,
    health,
    migrated: migration.migrated,
    async requireSetUp() {
      if (!migration.migrated()) throw new Error('the database is not migrated yet');
    },
    setUp: migration.done,
    async stop() {
      stopped.abort();
      await migration.done;
      await relay.stop();
      await pool.end();
    },
  };
}
