/** category-counts: live events per catalog category, kept exactly once in PostgreSQL from catalog.events. */
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { eachEvent } from '../../lib/consumer/each-event.ts';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { Health } from '../../lib/health.ts';
import { Inbox, inboxTableSql } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { createPool, migrate } from '../../lib/pg.ts';
import { runService } from '../../lib/run-service.ts';
import { catalogEvents, changeOf } from '../catalog/events.ts';
import { categoryCountsApi } from './api.ts';
import { categoryCountsConfig } from './config.ts';
import { applyChange, migrations } from './counts.ts';

await runService({
  name: 'category-counts',
  config: categoryCountsConfig,
  async start({ config, log, exit }) {
    const db = createPool({ url: config.DATABASE_URL, log, timeoutMs: config.PG_TIMEOUT_MS });
    const inbox = new Inbox({ pool: db, group: config.KAFKA_GROUP_ID });
    const consumer = new EventConsumer({
      brokers: config.KAFKA_BROKERS,
      security: kafkaSecurity(config),
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      contracts: catalogEvents,
      log,
      maxRecordsPerSecond: config.MAX_RECORDS_PER_SECOND || undefined,
      // Retried with backoff until PostgreSQL answers: a database not there yet is "not ready", not an exit.
      prepare: async () =>
        void (await migrate(db, 'category-counts-migrations', [{ id: 1, name: 'counts and inbox', sql: migrations + inboxTableSql() }])),
      handle: eachEvent((event) => inbox.once(event.id, (tx) => applyChange(tx, changeOf(event)))),
    });
    const registry = new Registry();
    consumer.registerMetrics(registry, 'category_counts');
    const health = new Health().ready('database', async () => (await db.query('SELECT 1')).rowCount === 1);
    consumer.watch(health, (reason) => exit(1, `the consumer is not live: ${reason}`));
    const server = serve({ fetch: categoryCountsApi({ db, health, registry, log }).fetch, port: config.PORT, hostname: '0.0.0.0' });
    consumer.start().catch((error: unknown) => exit(1, `the consumer could not run: ${(error as Error).message}`));
    return {
      async stop() {
        await consumer.stop();
        server.close();
        await db.end();
      },
    };
  },
});
