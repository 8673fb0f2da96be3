/**
 * Local mode: the platform on one machine with no cluster. For now it brings up the real
 * infrastructure (Kafka, Elasticsearch, PostgreSQL) and says what runs where; Ctrl-C stops it all.
 */
import { startElasticsearch } from '../test/infra/elasticsearch.ts';
import { startKafka } from '../test/infra/kafka.ts';
import { startPostgres } from '../test/infra/postgres.ts';
import type { LocalServer } from '../test/infra/server.ts';

const t0 = Date.now();
const servers: LocalServer[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    await Promise.allSettled(servers.map((server) => server.dispose()));
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

console.log('eventide: starting Kafka, Elasticsearch and PostgreSQL (first run downloads them; later runs use ~/.cache/eventide)…');
const results = await Promise.allSettled(
  [startKafka, startElasticsearch, startPostgres].map(async (start) => {
    const server = await start();
    servers.push(server);
    return server;
  }),
);
const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
if (failed.length > 0) {
  for (const f of failed) console.error(`\n${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
  await shutdown(1);
}

const seconds = ((Date.now() - t0) / 1000).toFixed(1);
console.log(`\neventide: ready in ${seconds} s`);
for (const server of servers) console.log(`  ${server.name.padEnd(14)} ${server.endpoint}`);
const endpoint = (name: string) => servers.find((s) => s.name === name)?.endpoint ?? '';
console.log(`
Try it:
  curl -s ${endpoint('elasticsearch')}/_cluster/health
  psql ${endpoint('postgres')} -c 'select version()'
Run the tests against these servers instead of starting new ones:
  EVENTIDE_KAFKA_BROKERS=${endpoint('kafka')} EVENTIDE_ELASTICSEARCH_URL=${endpoint('elasticsearch')} EVENTIDE_DATABASE_URL=${endpoint('postgres')} make test

The operator, catalog and search services join local mode as they land. Ctrl-C stops everything.`);
