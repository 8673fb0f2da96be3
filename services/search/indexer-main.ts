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
// Bounded requests: a frozen Elasticsearch fails a bulk after 30 s (then it is retried with backoff)
// instead of holding the batch, and with it the partition, for as long as the freeze lasts.
const es = new Client({ node: config.ELASTICSEARCH_URL, requestTimeout: 30_000, maxRetries: 2, ...(auth ? { auth } : {}) });
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
/** The last liveness check (every second, below); the probes answer from it. */
let health = indexer.health();
const app = new Hono();
// Liveness is "in the group and making progress", readiness "joined with its assignment".
app.get('/healthz', (c) => {
  return c.text(health.live ? `ok: ${health.reason}` : health.reason, health.live ? 200 : 503);
});
app.get('/readyz', (c) => {
  return started && health.ready ? c.text(`ok: ${health.reason}`) : c.text(started ? health.reason : 'starting', 503);
});
app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' });

let stopping = false;
async function shutdown(signal: string, code = 0) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'leaving the group after the batch in flight');
  // A consumer that lost its broker may never finish leaving; the exit must not wait for it.
  await Promise.race([indexer.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]).catch(() => undefined);
  server.close();
  process.exit(code);
}
// Never alive and idle: a consumer that is out of its group or stuck for too long exits non-zero,
// and its supervisor (the kubelet, or local mode's) starts a fresh one that joins the group.
let checking = false;
setInterval(async () => {
  if (!started || checking) return;
  checking = true;
  health = await indexer.checkHealth();
  checking = false;
  if (health.live) return;
  log.error({ reason: health.reason }, 'the consumer is not live; exiting so that it is replaced');
  void shutdown('liveness', 1);
}, 1_000).unref();
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

await indexer.start();
started = true;
log.info({ group: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC }, 'indexing');
