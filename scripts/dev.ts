/**
 * `make dev`: the platform on this machine with no cluster (scripts/local/platform.ts), its URLs,
 * one status line per component, and how to try it. Writes .eventide/dev.json for `make load`.
 * Ctrl-C stops everything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devLifecycle } from './local/dev-lifecycle.ts';
import type { DevState } from './local/dev-state.ts';
import { indexerDeployment, type LocalPlatform, namespace, startLocalPlatform } from './local/platform.ts';
import { describeReplacement } from './local/replica-supervisor.ts';

const indexerRate = process.env.INDEXER_MAX_DOCS_PER_SECOND ?? '100';
const logDir = mkdtempSync(join(tmpdir(), 'eventide-dev-'));
let platform: LocalPlatform | undefined;
const clock = () => new Date().toISOString().slice(11, 19);
const { publish, shutdown } = devLifecycle({ stop: async () => platform?.stop() });

console.log(
  'eventide: starting Kafka, Elasticsearch, PostgreSQL and a kube-apiserver (the first run downloads and builds them into ~/.cache/eventide)…',
);
try {
  platform = await startLocalPlatform({
    logDir,
    catalogPort: Number(process.env.CATALOG_PORT ?? 8080),
    searchPort: Number(process.env.SEARCH_PORT ?? 8081),
    // One indexer here does ~13k docs/s while the catalog on the same two cores writes a few hundred
    // per second: capped per replica, the indexers fall behind under `make load` and scale by lag.
    indexerEnv: { MAX_DOCS_PER_SECOND: indexerRate },
    onProgress: (message) => console.log(`  … ${message}`),
    onIndexerChange: ({ desired, running }) =>
      console.log(`${clock()} search-indexer: ${desired} replica(s) wanted, ${running} process(es) running`),
    onIndexerDied: (death) => console.log(`${clock()} ${describeReplacement(death)} (log: ${logDir}/${death.name}.log)`),
  });
} catch (error) {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
const p = platform as LocalPlatform;

const state: DevState = {
  catalogUrl: p.catalog.url,
  searchUrl: p.searchApi.url,
  kubeconfig: p.kube.kubeconfig,
  kubectl: p.kube.kubectl,
  kafkaBrokers: p.kafka.endpoint,
  elasticsearchUrl: p.elasticsearch.endpoint,
  databaseUrl: p.postgres.endpoint,
  logDir,
};
publish(state);

const topicsReady = async () => {
  const out = await p
    .kubectl('get', 'topics', '-n', namespace, '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}')
    .catch(() => '');
  return out.split(' ').filter((s) => s === 'True').length >= 2;
};
const deadline = Date.now() + 60_000;
while (!(await topicsReady()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

const line = (name: string, ok: boolean, detail: string) => console.log(`  ${ok ? '✓' : '✗'} ${name.padEnd(15)} ${detail}`);
const kubectlCmd = `${p.kube.kubectl} --kubeconfig ${p.kube.kubeconfig}`;
console.log(`\neventide: up in ${(p.startupSeconds).toFixed(1)} s (logs in ${logDir})`);
line('kafka', true, p.kafka.endpoint);
line('elasticsearch', true, p.elasticsearch.endpoint);
line('postgres', true, p.postgres.endpoint);
line('kube-apiserver', true, `${p.kube.endpoint}  (KUBECONFIG=${p.kube.kubeconfig})`);
for (const operator of p.operators) line('operator', true, `${operator.url}/metrics  (leader: ${(await p.leader()) ?? 'none yet'})`);
line('catalog', true, `${p.catalog.url}/api/v1/events  (${p.catalog.url}/openapi.json)`);
line('search-api', true, `${p.searchApi.url}/api/v1/search/events`);
line(
  'search-indexer',
  p.supervisor.readyCount > 0,
  `${p.supervisor.readyCount} process(es), following deployment/${indexerDeployment} spec.replicas (consumer group search-indexer → index events-v1)`,
);
console.log(
  `                    each indexer is capped at ${indexerRate} docs/s here (INDEXER_MAX_DOCS_PER_SECOND; 0 = no cap) so lag can build up`,
);
line('topics', await topicsReady(), 'catalog.events and search-indexer.dlq created in Kafka by the operator');
console.log(`
Try it:
  curl -s -X POST ${p.catalog.url}/api/v1/events -H 'content-type: application/json' -d '{"name":"Jazz at the harbour","category":"concert","startsAt":"2027-03-01T19:00:00Z","endsAt":"2027-03-01T22:00:00Z","venue":"Hafenhalle","city":"Hamburg","country":"DE","capacity":300,"priceMinor":2500,"currency":"EUR","organizerId":"5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90"}'
  curl -s '${p.searchApi.url}/api/v1/search/events?q=jazz'        (a second or so after the POST)
  ${kubectlCmd} -n ${namespace} get topics,cg,deploy
  make load        (in another terminal: writes through the catalog; watch search-indexer scale by lag)
Ctrl-C stops everything.`);
