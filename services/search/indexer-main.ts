/** search-indexer: the Kafka consumer the operator scales; health and metrics on PORT. */
import { Client } from '@elastic/elasticsearch';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { indexerConfig, load } from './config.ts';
import { Indexer } from './indexer.ts';

let config: ReturnType<typeof indexerConfig.parse>;
try {
  config = load(indexerConfig, process.env, 'search-indexer');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const log = pino({ name: 'search-indexer', level: config.LOG_LEVEL, timestamp: pino.stdTimeFunctions.isoTime });
const auth = config.ELASTICSEARCH_USERNAME
  ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? '' }
  : undefined;
const es = new Client({ node: config.ELASTICSEARCH_URL, ...(auth ? { auth } : {}) });
const indexer = new Indexer({
  brokers: config.KAFKA_BROKERS,
  groupId: config.KAFKA_GROUP_ID,
  topic: config.KAFKA_TOPIC,
  index: config.ELASTICSEARCH_INDEX,
  es,
  log,
  maxAttempts: config.MAX_ATTEMPTS,
  maxDocsPerSecond: config.MAX_DOCS_PER_SECOND || undefined,
});

const registry = new Registry();
for (const [name, help, key] of [
  ['search_indexer_consumed_total', 'Changes consumed.', 'consumed'],
  ['search_indexer_indexed_total', 'Changes indexed.', 'indexed'],
  ['search_indexer_dead_lettered_total', 'Changes sent to the dead-letter topic.', 'deadLettered'],
  ['search_indexer_batches_total', 'Batches indexed.', 'batches'],
] as const) {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(indexer.counts[key]);
    },
  });
}
let started = false;
const app = new Hono();
app.get('/healthz', (c) => c.text('ok'));
app.get('/readyz', (c) => (started ? c.text('ok') : c.text('starting', 503)));
app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' });

await indexer.start();
started = true;
log.info({ group: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC }, 'indexing');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'leaving the group after the batch in flight');
  await indexer.stop();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
