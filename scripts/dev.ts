/**
 * `make dev`: the platform on this machine with no cluster (scripts/local/platform.ts): the kind
 * chart applied as `make deploy` applies it, every Eventide Pod run by the local node agent, its
 * URLs, one status line per workload, and how to try it. Writes .eventide/dev.json for `make load`.
 * Ctrl-C stops everything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAddresses } from '../devkit/kubelet/address-map.ts';
import { devLifecycle } from './local/dev-lifecycle.ts';
import type { DevState } from './local/dev-state.ts';
import { type LocalPlatform, namespace, startLocalPlatform } from './local/platform.ts';

const indexerRate = process.env.INDEXER_MAX_RECORDS_PER_SECOND ?? '100';
const logDir = mkdtempSync(join(tmpdir(), 'eventide-dev-'));
let platform: LocalPlatform | undefined;
const clock = () => new Date().toISOString().slice(11, 19);
const { publish, shutdown } = devLifecycle({ stop: async () => platform?.stop() });

console.log(
  'eventide: starting Kafka, Elasticsearch, PostgreSQL and a Kubernetes control plane (the first run downloads and builds them into ~/.cache/eventide)…',
);
try {
  platform = await startLocalPlatform({
    logDir,
    catalogPort: Number(process.env.CATALOG_PORT ?? 8080),
    searchPort: Number(process.env.SEARCH_PORT ?? 8081),
    teachersPort: Number(process.env.TEACHERS_PORT ?? 8082),
    identityPort: Number(process.env.IDENTITY_PORT ?? 8083),
    paymentsPort: Number(process.env.PAYMENTS_PORT ?? 8084),
    ledgerPort: Number(process.env.LEDGER_PORT ?? 8085),
    consolePort: Number(process.env.CONSOLE_PORT ?? 8086),
    // One indexer here does ~13k docs/s while the catalog on the same two cores writes a few hundred
    // per second: capped per replica, the indexers fall behind under `make load` and scale by lag.
    env: { 'search-indexer': { MAX_RECORDS_PER_SECOND: indexerRate } },
    onProgress: (message) => console.log(`  … ${message}`),
    onRestart: ({ podKey, restartCount, exit, delayMs }) =>
      console.log(`${clock()} pod ${podKey} ${exit}: restart ${restartCount} in ${Math.round(delayMs / 1000)} s (log: ${logDir}/node/)`),
  });
} catch (error) {
  console.error(`\n${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
const p = platform as LocalPlatform;

const state: DevState = {
  catalogUrl: p.catalog.url,
  searchUrl: p.searchApi.url,
  paymentsUrl: p.payments.url,
  identityUrl: p.identity.url,
  kubeconfig: p.kube.kubeconfig,
  kubectl: p.kube.kubectl,
  kafkaBrokers: p.kafka.endpoint,
  elasticsearchUrl: p.elasticsearch.endpoint,
  databaseUrl: p.databaseUrl,
  logDir,
};
publish(state);

const kubectlCmd = `${p.kube.kubectl} --kubeconfig ${p.kube.kubeconfig}`;
console.log(`\neventide: up in ${p.startupSeconds.toFixed(1)} s (logs in ${logDir}; Pod logs in ${logDir}/node/)`);
console.log(`  kubernetes     ${p.kube.endpoint}  (KUBECONFIG=${p.kube.kubeconfig})`);
console.log('  workloads (the kind chart, run by the local node agent):');
console.log(
  (
    await p.kubectl(
      '-n',
      namespace,
      'get',
      'deploy,sts',
      '-o',
      'custom-columns=WORKLOAD:.metadata.name,READY:.status.readyReplicas,WANTED:.spec.replicas',
    )
  )
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n'),
);
console.log('  addresses in the manifests → this machine (the one difference from a cluster):');
for (const line of describeAddresses(p.addresses)) console.log(`    ${line}`);
console.log(`    service catalog → ${p.catalog.url}   service search-api → ${p.searchApi.url}   (as kubectl port-forward would)`);
console.log(`    service teachers → ${p.teachers.url}   service identity → ${p.identity.url}   (onboarding: docs/onboarding.md)`);
console.log(`    service payments → ${p.payments.url}   service ledger → ${p.ledger.url}   (docs/payments.md)`);
console.log(`    service category-counts → ${(await p.expose('category-counts')).url}   (the worked example: docs/adding-a-service.md)`);
console.log(
  `  console        ${p.console.url}  (Topics and consumer groups with lag and replicas over time; log in as the platform administrator below: docs/console.md)`,
);
console.log(
  `  traces         ${p.jaeger.url}  (Jaeger: every workload sends its spans there; the query API answers, e.g. ${p.jaeger.url}/api/traces?service=catalog&limit=5 — the UI page comes with the kind profile's image)`,
);
console.log(
  `  each search-indexer is capped at ${indexerRate} docs/s here (INDEXER_MAX_RECORDS_PER_SECOND; 0 = no cap) so lag can build up`,
);
console.log(`
Who calls (docs/security.md, "Who may call what"): every write and every payments and ledger route needs a token from identity.
  ADMIN=$(curl -s ${p.identity.url}/api/v1/auth/login -H 'content-type: application/json' -d '{"tenantId":"platform","email":"admin@eventide.local","password":"eventide-dev-admin"}' | jq -r .accessToken)
  PROVIDER=$(curl -s -u payment-provider:eventide-dev-provider-secret ${p.identity.url}/oauth/token -d grant_type=client_credentials | jq -r .access_token)
  a merchant's backend: curl -s ${p.identity.url}/api/v1/clients -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"name":"kiosk","role":"merchant","merchantId":"<id>"}'   (then client credentials as the provider's)
  (the development credentials above are the kind profile's Secrets identity-bootstrap-admin and identity-payment-provider)
Try it:
  curl -s -X POST ${p.catalog.url}/api/v1/events -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"name":"Jazz at the harbour","category":"concert","startsAt":"2027-03-01T19:00:00Z","endsAt":"2027-03-01T22:00:00Z","venue":"Hafenhalle","city":"Hamburg","country":"DE","capacity":300,"priceMinor":2500,"currency":"EUR","organizerId":"5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90"}'
  curl -s '${p.searchApi.url}/api/v1/search/events?q=jazz'        (a second or so after the POST)
  curl -s '${p.jaeger.url}/api/traces?service=search-indexer&limit=1'   (that POST's trace: request → outbox → relay → Kafka → indexer → Elasticsearch)
  ${kubectlCmd} -n ${namespace} get topics,cg,deploy,pods
  make load        (in another terminal: writes through the catalog; watch search-indexer scale by lag)
Ctrl-C stops everything.`);
