/** teachers' process: the administrators' API over PostgreSQL, and the outbox relay to teachers.events, in one process. */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import type { ServiceContext } from '../../lib/main.ts';
import { Outbox, OutboxRelay } from '../../lib/outbox.ts';
import { createPool, migrateInBackground } from '../../lib/pg.ts';
import { teachersApi } from './api.ts';
import type { teachersConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { TeacherStore } from './store.ts';

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startTeachers({
  config,
  log,
}: ServiceContext<z.infer<typeof teachersConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  const pool = createPool({ url: config.DATABASE_URL, log });
  const registry = new Registry();
  new Outbox().registerMetrics(registry, pool, 'teachers');
  const relay = new OutboxRelay({
    databaseUrl: config.DATABASE_URL,
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    log,
    clientId: 'teachers-relay',
    lockKey: 'eventide-teachers-outbox-relay',
    retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
  });
  const stopped = new AbortController();
  const migration = migrateInBackground({ run: () => migrate(pool), log, signal: stopped.signal });
  void migration.done.then((migrated) => migrated && relay.start());
  const health = new Health().ready('database', async () =>
    migration.migrated()
      ? { ok: (await pool.query('SELECT 1')).rowCount === 1, detail: 'database unreachable' }
      : { ok: false, detail: 'migrations not applied yet' },
  );
  const app = teachersApi({
    store: new TeacherStore(pool),
    verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL),
    tenants: new Set(config.TENANTS),
    registry,
    health,
    log,
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
    log.info({ port: info.port }, 'teachers listening'),
  );
  return {
    app,
    async stop() {
      stopped.abort();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await migration.done;
      await relay.stop();
      await pool.end();
    },
  };
}
