/**
 * The whole platform on one machine, as `make dev`, the e2e and chaos suites and bench/pipeline run
 * it: real Kafka, Elasticsearch, PostgreSQL and kube-apiserver; the chart's CRDs, Topics,
 * ConsumerGroup and search-indexer Deployment applied to that API server; the operator(s), the
 * catalog and the search API as processes; and a replica supervisor that runs as many search
 * indexers as the Deployment asks for.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { type ElasticsearchServer, startElasticsearch } from '../../devkit/elasticsearch.ts';
import { type KafkaServer, startKafka } from '../../devkit/kafka.ts';
import { type KubeServer, startKubeApiServer } from '../../devkit/kube.ts';
import { repoRoot } from '../../devkit/paths.ts';
import { freePort } from '../../devkit/ports.ts';
import { type PostgresServer, startPostgres } from '../../devkit/postgres.ts';
import { launch, waitUntilReady } from '../../devkit/process.ts';
import { type LocalServer, startProcessServer } from '../../devkit/server.ts';
import { type ReplicaDeath, ReplicaSupervisor } from './replica-supervisor.ts';

const run = promisify(execFile);
export const namespace = 'eventide';
export const indexerDeployment = 'search-indexer';
export const leaseName = 'eventide-operator-leader';

export interface LocalPlatformOptions {
  /** Where every process writes its log (kept after stop). */
  logDir: string;
  catalogPort?: number;
  searchPort?: number;
  /** Operator processes; with two, one leads and one stands by. */
  operators?: number;
  leaseDurationSeconds?: number;
  /** Merged into the search-indexer ConsumerGroup's spec after the chart's resources are applied. */
  consumerGroup?: Record<string, unknown>;
  /** Extra environment for every search-indexer replica. */
  indexerEnv?: Record<string, string>;
  /** Called as the servers come up, for progress output. */
  onProgress?: (message: string) => void;
  /** Called when the search-indexer Deployment's replicas change. */
  onIndexerChange?: (change: { at: number; desired: number; running: number }) => void;
  /** Called when a search-indexer process died and the supervisor replaced it (or did not need to). */
  onIndexerDied?: (death: ReplicaDeath) => void;
}

export interface LocalPlatform {
  kafka: KafkaServer;
  elasticsearch: ElasticsearchServer;
  postgres: PostgresServer;
  kube: KubeServer;
  catalog: LocalServer & { url: string };
  searchApi: LocalServer & { url: string };
  operators: (LocalServer & { podName: string; url: string })[];
  supervisor: ReplicaSupervisor;
  kc: KubeConfig;
  kubectl: (...args: string[]) => Promise<string>;
  /** The operator that holds the leader lease now, if any. */
  leader(): Promise<string | undefined>;
  /** Seconds from the call to everything ready. */
  startupSeconds: number;
  stop(): Promise<void>;
}

async function serverSet(onProgress: (m: string) => void) {
  const announced = <T extends LocalServer>(name: string, starting: Promise<T>) =>
    starting.then((server) => {
      onProgress(`${name} ${server.endpoint}`);
      return server;
    });
  const started = await Promise.allSettled([
    announced('kafka', startKafka()),
    announced('elasticsearch', startElasticsearch()),
    announced('postgres', startPostgres()),
    announced('kube-apiserver', startKubeApiServer()),
  ] as const);
  const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await Promise.allSettled(started.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'));
  }
  const value = <T>(r: PromiseSettledResult<T>) => (r as PromiseFulfilledResult<T>).value;
  return { kafka: value(started[0]), elasticsearch: value(started[1]), postgres: value(started[2]), kube: value(started[3]) };
}

/** The chart's search-indexer Deployment: the object the operator scales and the supervisor follows. */
export function indexerDeploymentManifest(): Record<string, unknown> {
  const chart = readFileSync(join(repoRoot, 'charts/kind/10-platform.yaml'), 'utf8');
  for (const doc of parseAllDocuments(chart)) {
    const object = doc.toJS() as { kind?: string; metadata?: { name?: string } };
    if (object.kind === 'Deployment' && object.metadata?.name === indexerDeployment) return object;
  }
  throw new Error(`charts/kind/10-platform.yaml has no Deployment ${indexerDeployment}; run make synth`);
}

const ok = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) })
    .then((r) => r.ok)
    .catch(() => false);

/** A Node program of this repository as a restartable process, ready once its /readyz answers. */
export async function startService(name: string, entry: string, logDir: string, env: Record<string, string>, port: number) {
  const home = join(logDir, name);
  mkdirSync(home, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const server = await startProcessServer({
    name,
    endpoint: url,
    home,
    launch: () =>
      launch({
        name,
        command: process.execPath,
        args: [join(repoRoot, entry)],
        logFile: join(logDir, `${name}.log`),
        env: { ...process.env, PORT: String(port), ...env },
      }),
    ready: (proc) => waitUntilReady(proc, () => ok(`${url}/readyz`), { timeoutMs: 60_000, what: `ready on ${url}` }),
  });
  return { ...server, url };
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => {});
  mkdirSync(options.logDir, { recursive: true });
  const { kafka, elasticsearch, postgres, kube } = await serverSet(progress);
  const stoppables: { stop(): Promise<void> }[] = [];
  const disposeServers = () => Promise.allSettled([kafka, elasticsearch, postgres, kube].map((s) => s.dispose()));
  try {
    const kubectl = async (...args: string[]) => (await run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args])).stdout;
    await kubectl('apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/topics.eventide.dev', 'crd/consumergroups.eventide.dev');
    await kubectl('create', 'namespace', namespace).catch(() => '');
    await kubectl('apply', '--server-side', '-f', join(repoRoot, 'charts/kind/20-platform-resources.yaml'));
    if (options.consumerGroup)
      await kubectl(
        '-n',
        namespace,
        'patch',
        'consumergroup',
        indexerDeployment,
        '--type=merge',
        '-p',
        JSON.stringify({ spec: options.consumerGroup }),
      );
    const workload = join(options.logDir, 'search-indexer-deployment.json');
    writeFileSync(workload, JSON.stringify(indexerDeploymentManifest()));
    await kubectl('apply', '--server-side', '-f', workload);
    progress('CRDs, Topics, ConsumerGroup and the search-indexer Deployment applied');

    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    const operators = [];
    for (let i = 0; i < (options.operators ?? 1); i++) {
      const podName = `local-operator-${i}`;
      const operator = await startService(
        podName,
        'operator/main.ts',
        options.logDir,
        {
          KUBECONFIG: kube.kubeconfig,
          KAFKA_BROKERS: kafka.endpoint,
          POD_NAME: podName,
          LEASE_DURATION_SECONDS: String(options.leaseDurationSeconds ?? 15),
        },
        await freePort(),
      );
      stoppables.push(operator);
      operators.push({ ...operator, podName });
    }
    const catalog = await startService(
      'catalog',
      'services/catalog/main.ts',
      options.logDir,
      { DATABASE_URL: postgres.endpoint, KAFKA_BROKERS: kafka.endpoint },
      options.catalogPort ?? (await freePort()),
    );
    stoppables.push(catalog);
    const searchApi = await startService(
      'search-api',
      'services/search/api-main.ts',
      options.logDir,
      { ELASTICSEARCH_URL: elasticsearch.endpoint },
      options.searchPort ?? (await freePort()),
    );
    stoppables.push(searchApi);
    const supervisor = new ReplicaSupervisor({
      apps: kc.makeApiClient(AppsV1Api),
      namespace,
      deployment: indexerDeployment,
      freePort,
      onChange: options.onIndexerChange,
      onReplicaDied: options.onIndexerDied,
      spawn: (id, port) =>
        launch({
          name: `search-indexer-${id}`,
          command: process.execPath,
          args: [join(repoRoot, 'services/search/indexer-main.ts')],
          logFile: join(options.logDir, `search-indexer-${id}.log`),
          env: {
            ...process.env,
            KAFKA_BROKERS: kafka.endpoint,
            ELASTICSEARCH_URL: elasticsearch.endpoint,
            PORT: String(port),
            ...options.indexerEnv,
          },
        }),
    });
    supervisor.start();
    stoppables.push(supervisor);
    const deadline = Date.now() + 60_000;
    while (supervisor.readyCount < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (supervisor.readyCount < 1) throw new Error(`no search-indexer became ready within 60 s; logs in ${options.logDir}`);
    progress('operator, catalog, search API and search indexer ready');

    const coordination = kc.makeApiClient(CoordinationV1Api);
    return {
      kafka,
      elasticsearch,
      postgres,
      kube,
      catalog,
      searchApi,
      operators,
      supervisor,
      kc,
      kubectl,
      startupSeconds: (Date.now() - t0) / 1000,
      async leader() {
        const lease = await coordination.readNamespacedLease({ namespace, name: leaseName }).catch(() => undefined);
        return lease?.spec?.holderIdentity ?? undefined;
      },
      async stop() {
        await Promise.allSettled(stoppables.map((s) => s.stop()));
        await disposeServers();
      },
    };
  } catch (error) {
    await Promise.allSettled(stoppables.map((s) => s.stop()));
    await disposeServers();
    throw error;
  }
}
