/**
 * The operator at scale: thousands of Topics and a thousand ConsumerGroups, against a real API
 * server and Kafka, with the operator as its own process. Each run measures the operator of an
 * earlier commit first (BENCH_BASELINE, checked out into a temporary worktree) and then this
 * checkout's, on the same servers, so the ratios are honest.
 *
 * Topics: for each size, create N Topic resources (1 partition each) through the API server and
 *   time until all are Ready and exist in Kafka; operator RSS. At the largest size, one resync of
 *   the unchanged Topics: status writes (Topic MODIFIED events seen by a watch), and Kafka requests
 *   by API where the operator counts them.
 * ConsumerGroups: G groups over G/10 topics (2 partitions), each scaling its own Deployment, polling
 *   every 5 s. Over a steady minute: p50/p95 poll lateness (the operator's histogram), Kafka and API
 *   requests per round. Then lag steps: produce to one topic and time until the Deployments of the
 *   ten groups on it are scaled; p50/p95 over every group of every step.
 *
 *   BENCH_TOPIC_SIZES (default "1000,10000"), BENCH_GROUPS (default 1000), BENCH_LAG_STEPS (default 20),
 *   BENCH_BASELINE (git ref, default a96b908; "none" runs only this checkout),
 *   BENCH_CAP_SECONDS (default 300: a size not Ready by then is reported as such),
 *   BENCH_FLOORS (default on; 0 skips them), BENCH_FLOOR_BATCHES (default "100,1000,5000")
 * The floors, first and with no operator running: each size of topics created straight through
 *   Kafka's Admin API in each batch size (the best is the floor), and the API server alone taking the
 *   same Topics with one status write each (the least an operator must do), seen by a watch.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import { EventideOperator } from '../../cdk8s/operator.ts';
import { startKafka } from '../../devkit/kafka.ts';
import { startKubeApiServer } from '../../devkit/kube.ts';
import { freePort } from '../../devkit/ports.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { repoRoot, versions } from '../../shared/versions.ts';
import { startOperatorProcess } from '../lib/operator.ts';
import { bucketPercentile, parseMetrics, type Sample, sum } from '../lib/prometheus.ts';

const sizes = (process.env.BENCH_TOPIC_SIZES ?? '1000,10000').split(',').map(Number);
const groupCount = Number(process.env.BENCH_GROUPS ?? 1000);
const lagSteps = Number(process.env.BENCH_LAG_STEPS ?? 20);
const baselineRef = process.env.BENCH_BASELINE ?? 'a96b908';
const capMs = Number(process.env.BENCH_CAP_SECONDS ?? 300) * 1000;
const resyncSeconds = 30;
const pollSeconds = 5;
const groupsPerTopic = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const api = { group: 'eventide.dev', version: 'v1alpha1' };

type Resource = KubernetesObject & { status?: { conditions?: { type: string; status: string }[]; observedGeneration?: number } };

const kafka = await startKafka();
const kube = await startKubeApiServer();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const client = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = client.admin();

execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml')]);
execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'wait', '--for=condition=Established', 'crd/topics.eventide.dev']);
await core.createNamespace({ body: { metadata: { name: 'eventide' } } });
await admin.connect();

/** Runs `task` over `items`, `concurrency` at a time. */
async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }),
  );
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The V8 heap in use, where the operator reports it (prom-client's default metrics). */
function heapMiB(samples: Sample[]): string {
  const bytes = sum(samples, 'nodejs_heap_size_used_bytes');
  return bytes > 0 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : '—';
}

/**
 * Follows one resource kind in a namespace: `onEvent` sees every event; the watch is opened again
 * (after a fresh list) when the API server ends it, so no change is missed for long.
 */
function follow(path: string, list: () => Promise<Resource[]>, onEvent: (type: string, object: Resource) => void): () => void {
  let stopped = false;
  let current: AbortController | undefined;
  const open = async (): Promise<void> => {
    for (const object of await list()) onEvent('LISTED', object);
    current = await new Watch(kc).watch(path, {}, onEvent, () => {
      if (!stopped) setTimeout(() => void open().catch(() => undefined), 100);
    });
  };
  void open();
  return () => {
    stopped = true;
    current?.abort();
  };
}

async function deleteKafkaTopics(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 500) await admin.deleteTopics({ topics: names.slice(i, i + 500), timeout: 60_000 });
}

interface Variant {
  label: string;
  root: string;
}

interface TopicRun {
  variant: string;
  size: number;
  readyMs: number | undefined;
  ready: number;
  missingInKafka: number;
  rss: number;
  heap: string;
}
interface ResyncRun {
  variant: string;
  size: number;
  reconciles: number;
  statusWrites: number;
  kafka: string;
}
interface GroupRun {
  variant: string;
  latenessP50: number;
  latenessP95: number;
  polls: number;
  kafkaPerRound: string;
  kubePerRound: string;
  stepP50: number;
  stepP95: number;
  stepMissed: number;
  rss: number;
  heap: string;
}
const topicRuns: TopicRun[] = [];
const resyncRuns: ResyncRun[] = [];
const groupRuns: GroupRun[] = [];

interface FloorRun {
  size: number;
  /** Kafka alone: CreateTopics in batches of the best size found, until every topic is listed. */
  kafkaMs: number;
  batch: number;
  /** The API server alone: every Topic created, its status set Ready (the one write the operator must make), seen by a watch. */
  apiMs: number;
}
const floorRuns: FloorRun[] = [];
const floorBatches = (process.env.BENCH_FLOOR_BATCHES ?? '100,1000,5000').split(',').map(Number);

/** Creates `names` straight through the Admin API, `batch` per CreateTopics request, one request at a time; ms until all are listed. */
async function kafkaCreate(names: string[], batch: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < names.length; i += batch)
    await admin.createTopics({
      topics: names.slice(i, i + batch).map((topic) => ({ topic, numPartitions: 1 })),
      timeout: 120_000,
      // kafkajs would ask for every new topic's leader while the metadata still lags; the listing below waits instead.
      waitForLeaders: false,
    });
  const wanted = new Set(names);
  while ((await admin.listTopics()).filter((t) => wanted.has(t)).length < names.length) await sleep(50);
  return performance.now() - t0;
}

/**
 * The floors under the operator's figure, with no operator running: Kafka creating the same
 * topics in its best batches, and the API server taking the same Topics and one status write each.
 */
async function floors(size: number): Promise<void> {
  const fresh = (n: number) => Array.from({ length: n }, (_, i) => `floor${i}-${randomUUID().slice(0, 6)}`);
  // Each batch size at this size; the best is the floor.
  let best = { batch: 0, ms: Number.POSITIVE_INFINITY };
  for (const batch of floorBatches.filter((b) => b <= size)) {
    const names = fresh(size);
    const ms = await kafkaCreate(names, batch);
    console.log(`  floor: ${size} topics through the Admin API in batches of ${batch}: ${(ms / 1000).toFixed(1)} s`);
    if (ms < best.ms) best = { batch, ms };
    await deleteKafkaTopics(names);
  }
  const kafkaMs = best.ms;

  const namespace = `floor-${size}-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const ready = new Set<string>();
  const stop = follow(
    `/apis/eventide.dev/v1alpha1/namespaces/${namespace}/topics`,
    async () => {
      // A fresh API server answers 429 while its watch cache initializes: ask again.
      for (let attempt = 1; ; attempt++) {
        try {
          return ((await custom.listNamespacedCustomObject({ ...api, plural: 'topics', namespace })) as { items: Resource[] }).items;
        } catch (error) {
          if ((error as { code?: number }).code !== 429 || attempt >= 60) throw error;
          await sleep(1_000);
        }
      }
    },
    (_type, topic) => {
      if (topic.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready.add(topic.metadata?.name ?? '');
    },
  );
  const t0 = performance.now();
  const status = {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Floor', message: 'set by the benchmark', lastTransitionTime: new Date().toISOString() },
    ],
  };
  await pool(fresh(size), 50, async (name) => {
    await custom.createNamespacedCustomObject({
      ...api,
      plural: 'topics',
      namespace,
      body: { apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace }, spec: { partitions: 1 } },
    });
    await custom.patchNamespacedCustomObjectStatus(
      { ...api, plural: 'topics', namespace, name, body: { status } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  });
  while (ready.size < size && performance.now() - t0 < capMs) await sleep(50);
  const apiMs = performance.now() - t0;
  stop();
  await custom.deleteCollectionNamespacedCustomObject({ ...api, plural: 'topics', namespace });
  floorRuns.push({ size, kafkaMs, batch: best.batch, apiMs });
  console.log(
    `  floor: ${size} topics — Kafka ${(kafkaMs / 1000).toFixed(1)} s (batches of ${best.batch}), API server ${(apiMs / 1000).toFixed(1)} s`,
  );
}

async function measure(variant: Variant): Promise<void> {
  const port = await freePort();
  const operator = startOperatorProcess({
    kubeconfig: kube.kubeconfig,
    brokers: kafka.endpoint,
    root: variant.root,
    // Both operators run with the V8 settings the chart gives the operator now.
    env: { PORT: String(port), RESYNC_SECONDS: String(resyncSeconds), NODE_OPTIONS: EventideOperator.nodeOptions },
  });
  const scrape = async (): Promise<Sample[]> => parseMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  try {
    for (let i = 0; ; i++) {
      const leading = await scrape().then(
        (s) => sum(s, 'eventide_leader') === 1,
        () => false,
      );
      if (leading) break;
      if (i > 600) throw new Error(`the ${variant.label} operator did not lead within a minute (log: ${operator.logFile})`);
      await sleep(100);
    }

    for (const size of sizes) await topics(variant, size, operator.pid, scrape, size === Math.max(...sizes));
    if (groupCount > 0) await groups(variant, operator.pid, scrape);
  } finally {
    await operator.stop();
  }
}

async function topics(variant: Variant, size: number, pid: number, scrape: () => Promise<Sample[]>, resync: boolean): Promise<void> {
  const namespace = `topics-${size}-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const names = Array.from({ length: size }, (_, i) => `t${i}-${randomUUID().slice(0, 6)}`);
  const readyAt = new Map<string, number>();
  let modified = 0;
  const stop = follow(
    `/apis/eventide.dev/v1alpha1/namespaces/${namespace}/topics`,
    async () => ((await custom.listNamespacedCustomObject({ ...api, plural: 'topics', namespace })) as { items: Resource[] }).items,
    (type, topic) => {
      if (type === 'MODIFIED') modified++;
      const name = topic.metadata?.name ?? '';
      if (!readyAt.has(name) && topic.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        readyAt.set(name, performance.now());
    },
  );
  const t0 = performance.now();
  await pool(names, 50, (name) =>
    custom.createNamespacedCustomObject({
      ...api,
      plural: 'topics',
      namespace,
      body: { apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace }, spec: { partitions: 1 } },
    }),
  );
  while (readyAt.size < size && performance.now() - t0 < capMs) await sleep(50);
  const readyMs = readyAt.size === size ? Math.max(...readyAt.values()) - t0 : undefined;
  const inKafka = new Set(await admin.listTopics());
  const heap = heapMiB(await scrape());
  topicRuns.push({
    variant: variant.label,
    size,
    readyMs,
    ready: readyAt.size,
    missingInKafka: names.filter((n) => readyAt.has(n) && !inKafka.has(n)).length,
    rss: rssMiB(pid),
    heap,
  });
  console.log(
    `  ${variant.label}: ${size} Topics → ${readyAt.size} Ready${readyMs === undefined ? ` (cap ${capMs / 1000} s)` : ` in ${(readyMs / 1000).toFixed(1)} s`}, RSS ${rssMiB(pid).toFixed(0)} MiB`,
  );

  if (resync && readyMs !== undefined) {
    // A settled minute first, then one resync interval and a little: at least one full resync.
    await sleep(5_000);
    const before = await scrape();
    const modifiedBefore = modified;
    await sleep((resyncSeconds + 5) * 1000);
    const after = await scrape();
    const delta = (name: string, where: Record<string, string>) => sum(after, name, where) - sum(before, name, where);
    const kafkaApis = [...new Set(after.filter((s) => s.name === 'eventide_kafka_requests_total').map((s) => s.labels.api ?? ''))];
    const kafkaCounts = kafkaApis
      .map((a) => [a, delta('eventide_kafka_requests_total', { client: 'topics', api: a })] as const)
      .filter(([, n]) => n > 0);
    resyncRuns.push({
      variant: variant.label,
      size,
      reconciles: delta('eventide_reconcile_total', { controller: 'topic' }),
      statusWrites: modified - modifiedBefore,
      kafka: kafkaApis.length === 0 ? 'not counted' : kafkaCounts.map(([a, n]) => `${a} ${n}`).join(', ') || 'none',
    });
    console.log(`  ${variant.label}: resync of ${size} Topics: ${JSON.stringify(resyncRuns.at(-1))}`);
  }
  stop();
  await custom.deleteCollectionNamespacedCustomObject({ ...api, plural: 'topics', namespace });
  await deleteKafkaTopics(names.filter((n) => inKafka.has(n)));
}

async function groups(variant: Variant, pid: number, scrape: () => Promise<Sample[]>): Promise<void> {
  const namespace = `groups-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const topicNames = Array.from({ length: Math.ceil(groupCount / groupsPerTopic) }, (_, i) => `work${i}-${randomUUID().slice(0, 6)}`);
  for (let i = 0; i < topicNames.length; i += 100)
    await admin.createTopics({
      topics: topicNames.slice(i, i + 100).map((topic) => ({ topic, numPartitions: 2, replicationFactor: 1 })),
      waitForLeaders: false,
    });
  // kafkajs's waitForLeaders gives up while a new topic is unknown to the broker's metadata.
  for (let known = false; !known; await sleep(100))
    known = await admin.fetchTopicMetadata({ topics: topicNames }).then(
      (m) => m.topics.every((t) => t.partitions.every((p) => p.leader >= 0)),
      () => false,
    );
  const indexes = Array.from({ length: groupCount }, (_, i) => i);
  const topicOf = (i: number) => topicNames[Math.floor(i / groupsPerTopic)] as string;
  const replicas = new Map<string, number>();
  const stop = follow(
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    async () => (await apps.listNamespacedDeployment({ namespace })).items as Resource[],
    (_type, d) => replicas.set(d.metadata?.name ?? '', (d as { spec?: { replicas?: number } }).spec?.replicas ?? 0),
  );
  await pool(indexes, 50, (i) =>
    apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: `c${i}` },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: `c${i}` } },
          template: { metadata: { labels: { app: `c${i}` } }, spec: { containers: [{ name: 'c', image: 'eventide/search:0.1.0' }] } },
        },
      },
    }),
  );
  await pool(indexes, 50, (i) =>
    custom.createNamespacedCustomObject({
      ...api,
      plural: 'consumergroups',
      namespace,
      body: {
        apiVersion: 'eventide.dev/v1alpha1',
        kind: 'ConsumerGroup',
        metadata: { name: `c${i}`, namespace },
        spec: {
          groupId: `g${i}-${namespace}`,
          topics: [topicOf(i)],
          scaleTargetRef: { name: `c${i}` },
          minReplicas: 1,
          maxReplicas: 2,
          lagThreshold: 100,
          pollIntervalSeconds: pollSeconds,
          scaleDownStabilizationSeconds: 3600,
          offsetResetPolicy: 'earliest',
        },
      },
    }),
  );
  // Every group polled at least once.
  const polled = async () =>
    ((await custom.listNamespacedCustomObject({ ...api, plural: 'consumergroups', namespace })) as { items: Resource[] }).items.filter(
      (g) => g.status?.observedGeneration !== undefined,
    ).length;
  const settleStart = performance.now();
  while ((await polled()) < groupCount && performance.now() - settleStart < capMs) await sleep(1_000);
  // The groups have no members (nothing consumes here): each turns NoActiveMembers after
  // stallAfterPolls polls, one status write and one Warning Event; let that pass first.
  await sleep(6 * pollSeconds * 1000);

  // A steady minute.
  const steadySeconds = 60;
  const before = await scrape();
  await sleep(steadySeconds * 1000);
  const after = await scrape();
  const lateness = (samples: Sample[]) =>
    samples
      .filter((s) => s.name === 'eventide_poll_lateness_seconds_bucket' && s.labels.controller === 'consumer-group')
      .map((s) => ({ le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), count: s.value }));
  const beforeBuckets = new Map(lateness(before).map((b) => [b.le, b.count]));
  const buckets = lateness(after).map((b) => ({ le: b.le, count: b.count - (beforeBuckets.get(b.le) ?? 0) }));
  const rounds = steadySeconds / pollSeconds;
  const perRound = (name: string, label: 'api' | 'resource', where: Record<string, string>) => {
    const keys = [...new Set(after.filter((s) => s.name === name).map((s) => s.labels[label] ?? ''))];
    if (keys.length === 0) return 'not counted';
    return keys
      .map((k) => [k, (sum(after, name, { ...where, [label]: k }) - sum(before, name, { ...where, [label]: k })) / rounds] as const)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n.toFixed(0)}`)
      .join(', ');
  };
  const polls = Math.max(0, ...buckets.map((b) => b.count));

  // Lag steps: ten groups share each topic, so one step moves ten groups. A producer of its own:
  // kafkajs keeps refreshing every topic a producer ever wrote to, and the last run's are deleted.
  const producer = client.producer();
  await producer.connect();
  const reactions: number[] = [];
  let missed = 0;
  for (let step = 0; step < Math.min(lagSteps, topicNames.length); step++) {
    const topic = topicNames[step] as string;
    const members = indexes.filter((i) => topicOf(i) === topic).map((i) => `c${i}`);
    const t0 = performance.now();
    await producer.send({ topic, messages: Array.from({ length: 300 }, (_, k) => ({ key: String(k), value: 'x' })) });
    const scaledAt = new Map<string, number>();
    while (scaledAt.size < members.length && performance.now() - t0 < 30_000) {
      for (const name of members) if (!scaledAt.has(name) && (replicas.get(name) ?? 0) >= 2) scaledAt.set(name, performance.now() - t0);
      await sleep(20);
    }
    reactions.push(...scaledAt.values());
    missed += members.length - scaledAt.size;
    await sleep(500);
  }
  stop();
  await producer.disconnect();
  groupRuns.push({
    variant: variant.label,
    latenessP50: bucketPercentile(buckets, 50),
    latenessP95: bucketPercentile(buckets, 95),
    polls,
    kafkaPerRound: perRound('eventide_kafka_requests_total', 'api', { client: 'lag' }),
    kubePerRound: perRound('eventide_kube_requests_total', 'resource', {}),
    stepP50: reactions.length ? percentile(reactions, 50) : Number.NaN,
    stepP95: reactions.length ? percentile(reactions, 95) : Number.NaN,
    stepMissed: missed,
    rss: rssMiB(pid),
    heap: heapMiB(await scrape()),
  });
  console.log(`  ${variant.label}: ${groupCount} ConsumerGroups: ${JSON.stringify(groupRuns.at(-1))}`);
  // No namespace controller runs here, so the namespace would never empty: delete what is in it.
  await custom.deleteCollectionNamespacedCustomObject({ ...api, plural: 'consumergroups', namespace });
  await apps.deleteCollectionNamespacedDeployment({ namespace });
  await deleteKafkaTopics(topicNames);
}

/** This checkout, and the baseline commit checked out beside it with the same dependencies. */
function variants(): Variant[] {
  const now: Variant = { label: 'now', root: repoRoot };
  if (baselineRef === 'none') return [now];
  const dir = mkdtempSync(join(tmpdir(), 'eventide-baseline-'));
  execFileSync('git', ['-C', repoRoot, 'worktree', 'add', '--detach', dir, baselineRef], { stdio: 'ignore' });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  return [{ label: `before (${baselineRef})`, root: dir }, now];
}

const all = variants();
try {
  console.log(
    `operator-scale: Kafka ${versions.kafka}, Kubernetes ${versions.kubernetes}, Node ${process.versions.node}, ${cpus().length} cores; topics ${sizes.join(', ')}, ${groupCount} ConsumerGroups`,
  );
  if (process.env.BENCH_FLOORS !== '0') for (const size of sizes) await floors(size);
  for (const variant of all) await measure(variant);
} finally {
  for (const variant of all)
    if (variant.root !== repoRoot)
      execFileSync('git', ['-C', repoRoot, 'worktree', 'remove', '--force', variant.root], { stdio: 'ignore' });
  await admin.disconnect();
  await kube.dispose();
  await kafka.dispose();
}

const seconds = (ms: number | undefined) => (ms === undefined ? 'not all' : `${(ms / 1000).toFixed(1)} s`);
console.log(
  `\nTopics: created through the API server → Ready and in Kafka\n${table(
    ['operator', 'topics', 'all Ready', 'topics/s', 'Ready', 'Ready but not in Kafka', 'RSS', 'heap used'],
    topicRuns.map((r) => [
      r.variant,
      String(r.size),
      seconds(r.readyMs),
      r.readyMs === undefined ? '—' : (r.size / (r.readyMs / 1000)).toFixed(0),
      String(r.ready),
      String(r.missingInKafka),
      `${r.rss.toFixed(0)} MiB`,
      r.heap,
    ]),
  )}`,
);
if (floorRuns.length > 0)
  console.log(
    `\nThe floors: the same topics straight through Kafka's Admin API (the best of batches of ${floorBatches.join(', ')}), and the API server alone (create + one status write each, seen by a watch)\n${table(
      ['topics', 'Kafka floor', 'batch', 'API server floor', 'operator (now)', 'operator ÷ Kafka floor', 'operator ÷ API floor'],
      floorRuns.map((f) => {
        const now = topicRuns.find((r) => r.size === f.size && r.variant === 'now')?.readyMs;
        return [
          String(f.size),
          seconds(f.kafkaMs),
          String(f.batch),
          seconds(f.apiMs),
          seconds(now),
          now === undefined ? '—' : `${(now / f.kafkaMs).toFixed(2)}×`,
          now === undefined ? '—' : `${(now / f.apiMs).toFixed(2)}×`,
        ];
      }),
    )}`,
  );
for (const size of sizes) {
  const [before, now] = [
    topicRuns.find((r) => r.size === size && r.variant !== 'now'),
    topicRuns.find((r) => r.size === size && r.variant === 'now'),
  ];
  if (before?.readyMs && now?.readyMs)
    console.log(`  ${size} Topics: now ÷ before = ${(now.readyMs / before.readyMs).toFixed(2)} of the time`);
}
console.log(
  `\nResync of unchanged Topics (${resyncSeconds + 5} s window, RESYNC_SECONDS=${resyncSeconds})\n${table(
    ['operator', 'topics', 'reconciles', 'status writes', 'Kafka requests (topics client)'],
    resyncRuns.map((r) => [r.variant, String(r.size), String(r.reconciles), String(r.statusWrites), r.kafka]),
  )}`,
);
console.log(
  `\nConsumerGroups: ${groupCount} polling every ${pollSeconds} s (a steady minute, then ${lagSteps} lag steps of 10 groups)\n${table(
    [
      'operator',
      'poll lateness p50',
      'p95',
      'polls/min',
      'Kafka requests per round',
      'API requests per round',
      'step → scaled p50',
      'p95',
      'missed',
      'RSS',
      'heap used',
    ],
    groupRuns.map((r) => [
      r.variant,
      `≤ ${r.latenessP50} s`,
      `≤ ${r.latenessP95} s`,
      String(r.polls),
      r.kafkaPerRound,
      r.kubePerRound,
      `${(r.stepP50 / 1000).toFixed(2)} s`,
      `${(r.stepP95 / 1000).toFixed(2)} s`,
      String(r.stepMissed),
      `${r.rss.toFixed(0)} MiB`,
      r.heap,
    ]),
  )}`,
);
