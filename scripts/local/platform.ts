/**
 * The whole platform on one machine, as `make dev` and the e2e and chaos suites run it: real
 * Kafka, Elasticsearch, PostgreSQL and a Kubernetes control plane (API server, controller manager,
 * scheduler); the kind chart applied by `make deploy`'s own steps (scripts/deploy.ts); and
 * the local node agent (devkit/kubelet) running every Eventide Pod from its manifest as a process.
 * The local servers stand in for the Strimzi Kafka, the StatefulSets and Jaeger, through one address table.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { Jaeger } from '../../cdk8s/jaeger.ts';
import { EventideOperator } from '../../cdk8s/operator.ts';
import { kind } from '../../cdk8s/profile.ts';
import { type ElasticsearchServer, startElasticsearch } from '../../devkit/elasticsearch.ts';
import { type JaegerServer, startJaeger } from '../../devkit/jaeger.ts';
import { type KafkaServer, startKafka } from '../../devkit/kafka.ts';
import { type KubeServer, startKubeApiServer } from '../../devkit/kube.ts';
import type { ServiceAddress } from '../../devkit/kubelet/address-map.ts';
import { NodeAgent } from '../../devkit/kubelet/agent.ts';
import type { RestartBackoff } from '../../devkit/kubelet/probe-state.ts';
import { eventideImage } from '../../devkit/kubelet/program.ts';
import { ServiceProxy } from '../../devkit/kubelet/service-proxy.ts';
import { elasticsearchStandIn, jaegerStandIn, KafkaStatusWriter, postgresStandIn } from '../../devkit/kubelet/stand-ins.ts';
import { withFreshPorts } from '../../devkit/ports.ts';
import { type PostgresServer, startPostgres } from '../../devkit/postgres.ts';
import { launch, waitUntilReady } from '../../devkit/process.ts';
import { type LocalServer, startProcessServer } from '../../devkit/server.ts';
import { strimziCrds } from '../../devkit/strimzi.ts';
import { serviceRegistry } from '../../services/registry.ts';
import { repoRoot } from '../../shared/versions.ts';
import { deploy } from '../deploy.ts';

const run = promisify(execFile);
/** The kind chart's namespace, which local mode applies. */
export const namespace = kind.namespace;
export const indexerDeployment = 'search-indexer';

export interface LocalPlatformOptions extends LocalClusterOptions {
  /** Local port of the catalog Service; default any free port. */
  catalogPort?: number;
  /** Local port of the search-api Service; default any free port. */
  searchPort?: number;
  /** Local ports of the teachers and identity Services; default any free port. */
  teachersPort?: number;
  identityPort?: number;
  /** Local ports of the payments and ledger Services; default any free port. */
  paymentsPort?: number;
  ledgerPort?: number;
  /** Where the console listens (the kind profile's console workload). Default: a free port. */
  consolePort?: number;
  /** Merged into the search-indexer ConsumerGroup's spec after the deploy. */
  consumerGroup?: Record<string, unknown>;
  /** Deployment name → variables set on it after the deploy (`kubectl set env`, a real rollout). */
  env?: Record<string, Record<string, string>>;
  /**
   * Keep the registry's examples (category-counts) that the kind chart deploys. Default: true.
   * Benchmarks and fault suites that measure the platform's own services remove them.
   */
  examples?: boolean;
}

export interface LocalPlatform extends LocalCluster {
  /** The catalog's database (the chart's PGDATABASE) on the local PostgreSQL. */
  databaseUrl: string;
  catalog: { url: string };
  searchApi: { url: string };
  teachers: { url: string };
  identity: { url: string };
  payments: { url: string };
  ledger: { url: string };
  /** The platform console, for platform administrators (cdk8s/console.ts). */
  console: { url: string };
  /** The operator Pod that holds the leader lease now, if any. */
  leader(): Promise<string | undefined>;
  /** SIGKILL a Pod's process, as a crash would; the agent restarts it. */
  killPod(name: string): void;
  startupSeconds: number;
  stop(): Promise<void>;
}

async function serverSet(onProgress: (m: string) => void) {
  // Five servers starting at once on a busy machine: one that fails (a probe out of time, say) gets
  // one more start, said out loud, before the whole set gives up.
  const announced = async <T extends LocalServer>(name: string, start: () => Promise<T>): Promise<T> => {
    const server = await withFreshPorts(start).catch((error: unknown) => {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      onProgress(`${name} did not start (${reason}); starting it once more`);
      return withFreshPorts(start);
    });
    onProgress(`${name} ${server.endpoint}`);
    return server;
  };
  const started = await Promise.allSettled([
    announced('kafka', startKafka),
    announced('elasticsearch', startElasticsearch),
    announced('postgres', startPostgres),
    announced('kubernetes control plane', () => startKubeApiServer({ controlPlane: true })),
    announced('jaeger', startJaeger),
  ] as const);
  const failures = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await Promise.allSettled(started.map((r) => (r.status === 'fulfilled' ? r.value.dispose() : undefined)));
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'));
  }
  const value = <T>(r: PromiseSettledResult<T>) => (r as PromiseFulfilledResult<T>).value;
  return {
    kafka: value(started[0]),
    elasticsearch: value(started[1]),
    postgres: value(started[2]),
    kube: value(started[3]),
    jaeger: value(started[4]),
  };
}

/** host:port of a URL or a broker list's first entry. */
function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint.includes('://') ? endpoint : `tcp://${endpoint.split(',')[0]}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** The one table of differences from a cluster: the chart's Service addresses → the local servers. */
export function addressTable(servers: {
  kafka: KafkaServer;
  elasticsearch: ElasticsearchServer;
  postgres: PostgresServer;
  jaeger: JaegerServer;
}): ServiceAddress[] {
  return [
    { service: Jaeger.serviceName, namespace, port: Jaeger.ports.otlp, local: hostPort(servers.jaeger.otlpEndpoint) },
    { service: Jaeger.serviceName, namespace, port: Jaeger.ports.query, local: hostPort(servers.jaeger.url) },
    { service: 'eventide-kafka-bootstrap', namespace, port: 9092, local: hostPort(servers.kafka.endpoint) },
    { service: 'elasticsearch', namespace, port: 9200, local: hostPort(servers.elasticsearch.endpoint) },
    { service: 'postgres', namespace, port: 5432, local: hostPort(servers.postgres.endpoint) },
  ];
}

/** The Services of the chart in front of Eventide Deployments, with their ports. */
export function eventideServices(chartFile: string): { name: string; port: number }[] {
  interface Doc {
    kind?: string;
    metadata?: { name?: string };
    spec?: { ports?: { port: number }[]; template?: { spec?: { containers?: { image?: string }[] } } };
  }
  const docs = parseAllDocuments(readFileSync(chartFile, 'utf8')).map((d) => (d.toJS() ?? {}) as Doc);
  const ours = new Set(
    docs
      .filter(
        (d) => d.kind === 'Deployment' && (d.spec?.template?.spec?.containers ?? []).some((c) => eventideImage(c.image) !== undefined),
      )
      .map((d) => d.metadata?.name),
  );
  return docs
    .filter((d) => d.kind === 'Service' && ours.has(d.metadata?.name))
    .flatMap((d) => (d.spec?.ports ?? []).map((p) => ({ name: d.metadata?.name ?? '', port: p.port })));
}

const ok = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2_000) })
    .then((r) => r.ok)
    .catch(() => false);

/**
 * A Node program of this repository (or of another checkout of it, `root`, for a before/after) as
 * a restartable process outside the cluster (bench/pipeline, bench/onboarding, bench/tracing).
 */
export async function startService(
  name: string,
  entry: string,
  logDir: string,
  env: Record<string, string>,
  port: number,
  root = repoRoot,
) {
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
        args: [join(root, entry)],
        logFile: join(logDir, `${name}.log`),
        env: { ...process.env, PORT: String(port), ...env },
      }),
    ready: (proc) => waitUntilReady(proc, () => ok(`${url}/readyz`), { timeoutMs: 60_000, what: `ready on ${url}` }),
  });
  return { ...server, url };
}

export interface LocalClusterOptions {
  /** Where the servers' and Pods' logs go (kept after stop). */
  logDir: string;
  /** The agent's crash-loop back-off; default the kubelet's 10 s doubling to 5 min. */
  backoff?: RestartBackoff;
  onProgress?: (message: string) => void;
  /** A Pod's process exited or failed liveness and will be restarted. */
  onRestart?: (event: { podKey: string; restartCount: number; exit: string; delayMs: number }) => void;
}

/** What `make kind-up` gives on a machine with Docker: an empty cluster with Strimzi's CRDs, ready for `make deploy`. */
export interface LocalCluster {
  kafka: KafkaServer;
  elasticsearch: ElasticsearchServer;
  postgres: PostgresServer;
  kube: KubeServer;
  /** Every workload's spans (the kind chart's OTLP settings reach it through the address table). */
  jaeger: JaegerServer;
  agent: NodeAgent;
  /** The address table: cluster Service address → local server. */
  addresses: ServiceAddress[];
  kc: KubeConfig;
  /** kubectl with this cluster's kubeconfig. */
  kubectl: (...args: string[]) => Promise<string>;
  /** A local port that reaches a ready Pod of the app, as `kubectl port-forward svc/<app>` would. */
  expose(app: string, port?: number): Promise<{ url: string }>;
  stop(): Promise<void>;
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const progress = options.onProgress ?? (() => {});
  mkdirSync(options.logDir, { recursive: true });
  const [servers, strimzi] = await Promise.all([serverSet(progress), strimziCrds()]);
  const { kafka, elasticsearch, postgres, kube, jaeger } = servers;
  const stoppables: { stop(): Promise<void> | void }[] = [];
  const stop = async () => {
    for (const s of stoppables.reverse()) await Promise.resolve(s.stop()).catch(() => undefined);
    await Promise.allSettled([kafka, elasticsearch, postgres, kube, jaeger].map((s) => s.dispose()));
  };
  try {
    const kubectl = async (...args: string[]) =>
      (await run(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    await kubectl('create', 'namespace', namespace);
    for (const crd of strimzi) await kubectl('apply', '--server-side', '-f', crd);

    const addresses = addressTable(servers);
    // Eventide's own Services, which workloads call one another through (teachers → identity's
    // JWKS): a local proxy in front of each one's ready Pods, as kube-proxy routes a ClusterIP.
    for (const service of eventideServices(join(repoRoot, 'charts/kind/10-platform.yaml'))) {
      const proxy = new ServiceProxy({ ready: () => readyPorts(service.name) });
      stoppables.push(proxy);
      addresses.push({ service: service.name, namespace, port: service.port, local: { host: '127.0.0.1', port: await proxy.listen(0) } });
    }
    const readyPorts = (app: string) =>
      agent
        .pods(app)
        .filter((p) => p.ready)
        .flatMap((p) => [...p.ports.values()].slice(0, 1));
    const agent = new NodeAgent({
      kc,
      dir: join(options.logDir, 'node'),
      services: addresses,
      standIns: [
        postgresStandIn(postgres.endpoint, `local PostgreSQL ${postgres.endpoint}`),
        elasticsearchStandIn(elasticsearch.endpoint, `local Elasticsearch ${elasticsearch.endpoint}`),
        jaegerStandIn(jaeger.url, `local Jaeger ${jaeger.url}`),
      ],
      backoff: options.backoff,
      onRestart: options.onRestart,
    });
    await agent.start();
    stoppables.push(agent);
    const kafkaStatus = new KafkaStatusWriter(kc, kafka.endpoint);
    kafkaStatus.start();
    stoppables.push(kafkaStatus);
    progress(`node ${agent.nodeName} registered`);
    const expose = async (app: string, port = 0) => {
      const proxy = new ServiceProxy({ ready: () => readyPorts(app) });
      stoppables.push(proxy);
      return { url: `http://127.0.0.1:${await proxy.listen(port)}` };
    };
    return { kafka, elasticsearch, postgres, kube, jaeger, agent, addresses, kc, kubectl, expose, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const t0 = Date.now();
  const progress = options.onProgress ?? (() => {});
  const cluster = await startLocalCluster(options);
  const { kube, kubectl, agent } = cluster;
  try {
    progress('applying the kind chart as make deploy does');
    await deploy({
      chartDir: join(repoRoot, 'charts/kind'),
      kubectl: kube.kubectl,
      kubectlArgs: ['--kubeconfig', kube.kubeconfig],
      log: progress,
    });
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
    if (options.examples === false)
      for (const workload of serviceRegistry.filter((s) => s.example).flatMap((s) => s.workloads)) {
        if (workload.consumes)
          await kubectl('-n', namespace, 'delete', 'consumergroup', workload.consumes.group ?? workload.name, '--wait');
        await kubectl('-n', namespace, 'delete', 'deployment', workload.name, '--wait');
      }
    for (const [deployment, env] of Object.entries(options.env ?? {})) {
      await kubectl('-n', namespace, 'set', 'env', `deployment/${deployment}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`));
      await kubectl('-n', namespace, 'rollout', 'status', `deployment/${deployment}`, '--timeout=300s');
    }
    const catalog = await cluster.expose('catalog', options.catalogPort);
    const searchApi = await cluster.expose('search-api', options.searchPort);
    const teachers = await cluster.expose('teachers', options.teachersPort);
    const identity = await cluster.expose('identity', options.identityPort);
    const payments = await cluster.expose('payments', options.paymentsPort);
    const ledger = await cluster.expose('ledger', options.ledgerPort);
    const platformConsole = await cluster.expose('console', options.consolePort);
    const coordination = cluster.kc.makeApiClient(CoordinationV1Api);
    return {
      ...cluster,
      // The catalog's own database (the chart's PGDATABASE), reached as the local superuser.
      databaseUrl: Object.assign(new URL(cluster.postgres.endpoint), { pathname: '/catalog' }).toString(),
      catalog,
      searchApi,
      teachers,
      identity,
      payments,
      ledger,
      console: platformConsole,
      startupSeconds: (Date.now() - t0) / 1000,
      async leader() {
        const lease = await coordination.readNamespacedLease({ namespace, name: EventideOperator.leaseName }).catch(() => undefined);
        return lease?.spec?.holderIdentity ?? undefined;
      },
      killPod(name) {
        const pid = agent.pods().find((p) => p.name === name)?.pid;
        if (pid === undefined) throw new Error(`no running process for pod ${name}`);
        process.kill(pid, 'SIGKILL');
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
