import type pg from 'pg';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { Health } from './health.ts';
import { defaultInboxRetentionHours, type Inbox } from './inbox.ts';
import { kafkaSecurity } from './kafka.ts';
import { Outbox } from './outbox.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { createPool, databaseProbe, defaultPgTimeoutMs, migrateInBackground } from './pg.ts';
import { relayWakeup } from './relay-wakeup.ts';
import { RetentionJob, type RetentionRule } from './retention.ts';

/**
 * What a publishing service's configuration holds (kafkaEnv, postgresEnv and OUTBOX_RETENTION_HOURS;
 * INBOX_RETENTION_HOURS when it consumes through an inbox, lib/inbox.ts inboxRetentionHours).
 */
export interface PublisherConfig {
  DATABASE_URL?: string;
  KAFKA_BROKERS: string[];
  KAFKA_CA?: string;
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
  OUTBOX_RETENTION_HOURS: number;
  PG_TIMEOUT_MS?: number;
  INBOX_RETENTION_HOURS?: number;
}

export interface Publisher {
  pool: pg.Pool;
  /** The service's outbox, wired to wake its relay after a commit: the service's stores append through it. */
  outbox: Outbox;
  registry: Registry;
  /** Ready once set-up has run and while the database answers. */
  health: Health;
  migrated: () => boolean;
  /** For a consumer's prepare: throws (so it retries with backoff) until set-up has run. */
  requireSetUp: () => Promise<void>;
  /** Settles once set-up has run (true) or the publisher stopped first (false). */
  setUp: Promise<boolean>;
  /** Deletes the inbox's ids once past INBOX_RETENTION_HOURS (default: safe for every platform topic). */
  retainInbox: (inbox: Inbox) => void;
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
  retention = [],
  retentionIntervalMs,
}: {
  /** The metrics prefix and the relay's client id (`<name>-relay`). */
  name: string;
  config: PublisherConfig;
  log: Logger;
  setup: (pool: pg.Pool) => Promise<number[]>;
  /** The advisory lock that elects one relay; default `eventide-<name>-outbox-relay`. */
  lockKey?: string;
  /** Tables kept bounded once set up (e.g. idempotencyKeysRetention): `<name>_retention_removed_rows_total`. */
  retention?: RetentionRule[];
  /** How often the retention job runs; default a minute. */
  retentionIntervalMs?: number;
}): Publisher {
  const timeoutMs = config.PG_TIMEOUT_MS ?? defaultPgTimeoutMs;
  const pool = createPool({ url: config.DATABASE_URL, log, timeoutMs });
  const registry = new Registry();
  const prefix = name.replaceAll('-', '_');
  const outbox = new Outbox();
  outbox.registerMetrics(registry, pool, prefix);
  const retentionJob = new RetentionJob({ pool, log, registry, prefix, intervalMs: retentionIntervalMs });
  for (const rule of retention) retentionJob.add(rule);
  const relay = new OutboxRelay({
    databaseUrl: config.DATABASE_URL,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    log,
    clientId: `${name}-relay`,
    lockKey,
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
  });
  outbox.onCommitted(relayWakeup({ relay, pool, channel: outbox.channel, log }));
  const stopped = new AbortController();
  const migration = migrateInBackground({ run: () => setup(pool), log, signal: stopped.signal });
  void migration.done.then((done) => {
    if (!done) return;
    relay.start();
    retentionJob.start();
  });
  // Its own connection, bounded: not ready while PostgreSQL does not answer, and the probe still answers.
  const probe = databaseProbe({ url: config.DATABASE_URL, timeoutMs: Math.min(timeoutMs, 1_000) });
  const health = new Health().ready('database', async () =>
    migration.migrated()
      ? { ok: await probe.answers(), detail: 'database unreachable' }
      : { ok: false, detail: 'migrations not applied yet' },
  );
  return {
    pool,
    outbox,
    registry,
    health,
    migrated: migration.migrated,
    async requireSetUp() {
      if (!migration.migrated()) throw new Error('the database is not migrated yet');
    },
    setUp: migration.done,
    retainInbox(inbox) {
      retentionJob.add(inbox.retention((config.INBOX_RETENTION_HOURS ?? defaultInboxRetentionHours) * 3600_000));
    },
    async stop() {
      stopped.abort();
      await migration.done;
      await retentionJob.stop();
      await relay.stop();
      await probe.end();
      await pool.end();
    },
  };
}
