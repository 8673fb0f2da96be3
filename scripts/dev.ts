/**
 * Local mode: the platform on one machine with no cluster. Real Kafka, Elasticsearch, PostgreSQL
 * and a real kube-apiserver; the CRDs and the platform's own Topic and ConsumerGroup resources
 * applied to it; the operator and the catalog as processes. Ctrl-C stops everything.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startElasticsearch } from '../test/infra/elasticsearch.ts';
import { startKafka } from '../test/infra/kafka.ts';
import { startKubeApiServer } from '../test/infra/kube.ts';
import { repoRoot } from '../test/infra/paths.ts';
import { freePort } from '../test/infra/ports.ts';
import { startPostgres } from '../test/infra/postgres.ts';
import { type Launched, launch } from '../test/infra/process.ts';
import type { LocalServer } from '../test/infra/server.ts';

const run = promisify(execFile);
const t0 = Date.now();
const logs = mkdtempSync(join(tmpdir(), 'eventide-dev-'));
const servers: LocalServer[] = [];
const processes: Launched[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nstopping…');
    await Promise.allSettled(processes.map((p) => p.stop()));
    await Promise.allSettled(servers.map((server) => server.dispose()));
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

console.log(
  'eventide: starting Kafka, Elasticsearch, PostgreSQL and a kube-apiserver (the first run downloads and builds them into ~/.cache/eventide)…',
);
const started = await Promise.allSettled([startKafka(), startElasticsearch(), startPostgres(), startKubeApiServer()] as const);
for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
const failures = started.filter((r) => r.status === 'rejected');
if (failures.length > 0) {
  for (const failure of failures) console.error(`\n${failure.reason instanceof Error ? failure.reason.message : String(failure.reason)}`);
  await shutdown(1);
}
const value = <T>(result: PromiseSettledResult<T>): T => (result as PromiseFulfilledResult<T>).value;
const [kafka, elasticsearch, postgres, kube] = [value(started[0]), value(started[1]), value(started[2]), value(started[3])];

const kubectl = (...args: string[]) => run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args]);
await kubectl('apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml'));
await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/topics.eventide.dev', 'crd/consumergroups.eventide.dev');
await kubectl('create', 'namespace', 'eventide').catch(() => undefined);
await kubectl('apply', '--server-side', '-f', join(repoRoot, 'charts/kind/20-platform-resources.yaml'));

const operatorPort = await freePort();
const catalogPort = Number(process.env.CATALOG_PORT ?? 8080);
const start = (name: string, entry: string, env: Record<string, string>) => {
  const proc = launch({
    name,
    command: process.execPath,
    args: [join(repoRoot, entry)],
    logFile: join(logs, `${name}.log`),
    env: { ...process.env, ...env },
  });
  processes.push(proc);
  return proc;
};
start('operator', 'operator/main.ts', {
  KUBECONFIG: kube.kubeconfig,
  KAFKA_BROKERS: kafka.endpoint,
  POD_NAME: 'local-operator',
  PORT: String(operatorPort),
});
start('catalog', 'services/catalog/main.ts', { DATABASE_URL: postgres.endpoint, KAFKA_BROKERS: kafka.endpoint, PORT: String(catalogPort) });
const indexerPort = await freePort();
const searchPort = Number(process.env.SEARCH_PORT ?? 8081);
start('search-indexer', 'services/search/indexer-main.ts', {
  KAFKA_BROKERS: kafka.endpoint,
  ELASTICSEARCH_URL: elasticsearch.endpoint,
  PORT: String(indexerPort),
});
start('search-api', 'services/search/api-main.ts', { ELASTICSEARCH_URL: elasticsearch.endpoint, PORT: String(searchPort) });

/** Ready, asked up to three times: a process busy joining its group may miss one probe. */
const up = async (url: string) => {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(2_000) })
        .then((r) => r.ok)
        .catch(() => false)
    )
      return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
};
const topicsReady = async () => {
  const { stdout } = await kubectl(
    'get',
    'topics',
    '-n',
    'eventide',
    '-o',
    'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
  ).catch(() => ({ stdout: '' }));
  return stdout.split(' ').filter((s) => s === 'True').length >= 2;
};
const deadline = Date.now() + 120_000;
while (
  Date.now() < deadline &&
  !((await up(`http://127.0.0.1:${operatorPort}/readyz`)) && (await up(`http://127.0.0.1:${catalogPort}/readyz`)) && (await topicsReady()))
) {
  if (processes.some((p) => p.hasExited())) break;
  await new Promise((r) => setTimeout(r, 250));
}
const status = async (name: string, ok: boolean, detail: string) => console.log(`  ${ok ? '✓' : '✗'} ${name.padEnd(15)} ${detail}`);
console.log(`\neventide: up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${logs})`);
await status('kafka', true, kafka.endpoint);
await status('elasticsearch', true, elasticsearch.endpoint);
await status('postgres', true, postgres.endpoint);
await status('kube-apiserver', true, `${kube.endpoint}  (KUBECONFIG=${kube.kubeconfig})`);
await status('operator', await up(`http://127.0.0.1:${operatorPort}/readyz`), `http://127.0.0.1:${operatorPort}/metrics`);
await status(
  'catalog',
  await up(`http://127.0.0.1:${catalogPort}/readyz`),
  `http://127.0.0.1:${catalogPort}/api/v1/events  (/openapi.json)`,
);
await status(
  'search-indexer',
  await up(`http://127.0.0.1:${indexerPort}/readyz`),
  'consumer group search-indexer → index events-v1 (alias events)',
);
await status('search-api', await up(`http://127.0.0.1:${searchPort}/readyz`), `http://127.0.0.1:${searchPort}/api/v1/search/events`);
await status('topics', await topicsReady(), 'catalog.events and search-indexer.dlq created in Kafka by the operator');
console.log(`
Try it:
  kubectl --kubeconfig ${kube.kubeconfig} -n eventide get topics,cg
  curl -s -X POST localhost:${catalogPort}/api/v1/events -H 'content-type: application/json' -d '{"name":"Jazz at the harbour","category":"concert","startsAt":"2027-03-01T19:00:00Z","endsAt":"2027-03-01T22:00:00Z","venue":"Hafenhalle","city":"Hamburg","country":"DE","capacity":300,"priceMinor":2500,"currency":"EUR","organizerId":"5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90"}'
  curl -s localhost:${catalogPort}/api/v1/events
  curl -s 'localhost:${searchPort}/api/v1/search/events?q=jazz'        (a second or so after the POST)
Run the tests against these servers instead of starting new ones:
  EVENTIDE_KAFKA_BROKERS=${kafka.endpoint} EVENTIDE_ELASTICSEARCH_URL=${elasticsearch.endpoint} EVENTIDE_DATABASE_URL=${postgres.endpoint} make test

One search-indexer process runs here; the replica supervisor that follows the ConsumerGroup's scaling
comes with issue 9, so the search-indexer ConsumerGroup reports TargetNotFound. Ctrl-C stops everything.`);
