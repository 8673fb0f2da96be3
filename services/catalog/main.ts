/** The catalog: HTTP API over PostgreSQL, and the outbox relay to Kafka, in one process. */
import { serve } from '@hono/node-server';
import pg from 'pg';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { catalogApi } from './api.ts';
import { loadConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { OutboxRelay, outboxBacklog } from './relay.ts';
import { EventStore } from './store.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const log = pino({ name: 'catalog', level: config.LOG_LEVEL, timestamp: pino.stdTimeFunctions.isoTime });
const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 20 });
pool.on('error', (error) => log.warn({ err: error }, 'idle database connection failed'));
// pg-pool's query() listens for a client's 'error' only once; a connection that PostgreSQL
// terminates can emit two, and the second, unheard, crashed the catalog when PostgreSQL restarted
// (the chaos suite's "restart PostgreSQL"). Every client keeps one listener for its whole life.
pool.on('connect', (client) => client.on('error', (error) => log.debug({ err: error }, 'database connection failed')));
const applied = await migrate(pool);
if (applied.length > 0) log.info({ applied }, 'migrations applied');

const registry = new Registry();
new Gauge({
  name: 'catalog_outbox_backlog',
  help: 'Outbox rows not yet published to Kafka.',
  registers: [registry],
  async collect() {
    this.set((await outboxBacklog(pool)).unsent);
  },
});
new Gauge({
  name: 'catalog_outbox_oldest_unsent_age_seconds',
  help: 'Age of the oldest outbox row not yet published.',
  registers: [registry],
  async collect() {
    this.set((await outboxBacklog(pool)).oldestAgeSeconds);
  },
});

const relay = new OutboxRelay({
  databaseUrl: config.DATABASE_URL,
  brokers: config.KAFKA_BROKERS,
  log,
  retentionMs: config.OUTBOX_RETENTION_HOURS * 3600_000,
});
relay.start();

const app = catalogApi({
  store: new EventStore(pool),
  registry,
  log,
  maxBodyBytes: config.MAX_BODY_BYTES,
  ready: async () => (await pool.query('SELECT 1')).rowCount === 1,
});
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
  log.info({ port: info.port }, 'catalog listening'),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: no new requests, draining, flushing the outbox');
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  await relay.stop();
  await pool.end();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
