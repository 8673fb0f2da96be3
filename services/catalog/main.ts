/** The catalog: HTTP API over PostgreSQL, and the outbox relay to Kafka, in one process. */
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { Health } from '../../lib/health.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { runService } from '../../lib/main.ts';
import { Outbox, OutboxRelay } from '../../lib/outbox.ts';
import { createPool, migrateInBackground } from '../../lib/pg.ts';
import { catalogApi } from './api.ts';
import { catalogConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { EventStore } from './store.ts';

await runService({
  name: 'catalog',
  config: catalogConfig,
  async start({ config, log }) {
    const pool = createPool({ url: config.DATABASE_URL, log });
    const registry = new Registry();
    new Outbox().registerMetrics(registry, pool, 'catalog');
    const relay = new OutboxRelay({
      databaseUrl: config.DATABASE_URL,
      brokers: config.KAFKA_BROKERS,
      security: kafkaSecurity(config),
      log,
      clientId: 'catalog-relay',
      lockKey: 'eventide-outbox-relay',
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
    const app = catalogApi({ store: new EventStore(pool), registry, health, log, maxBodyBytes: config.MAX_BODY_BYTES });
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
      log.info({ port: info.port }, 'catalog listening'),
    );
    return {
      async stop() {
        log.info('no new requests, draining, flushing the outbox');
        stopped.abort();
        await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        await migration.done;
        await relay.stop();
        await pool.end();
      },
    };
  },
});
