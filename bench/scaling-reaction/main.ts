/**
 * How fast, how calmly and at what cost a lag-driven scaler scales: Eventide's ConsumerGroup and
 * KEDA's ScaledObject (Kafka trigger), both real and side by side in one run, against one API server
 * whose controller-manager runs the HPA controller (reading KEDA's metrics through the aggregation
 * layer, as on a cluster) and one Kafka. Each scaler gets an identical workload: a 6-partition topic,
 * a 1-replica Deployment and a group whose committed offsets make every produced message lag.
 *
 * 1. Reaction: STEPS times, a fresh workload per scaler; once each scaler has read its (zero) lag, a
 *    random pause of up to one HPA sync (so a step lands anywhere in every scaler's cycle), then the
 *    same lag step (0 → 2,500, threshold 1,000) on every topic at once, and the time until each
 *    Deployment's spec.replicas says 3, as a watch sees it.
 * 2. Flapping: for FLAP_SECONDS the lag alternates around the threshold, ±5 % and ±15 % (the HPA
 *    ignores changes within its 10 % tolerance), switching every 3.5 s; a scale event is a change of
 *    the Deployment's spec.replicas.
 * 3. Cost: each scaler alone with COST_WORKLOADS workloads at a steady lag for COST_SECONDS: Kafka
 *    requests (the broker's request log, by client id), API requests (the audit log, by
 *    ServiceAccount, and the HPA controller by its user agent) and the CPU of the scaler's processes.
 *
 *   BENCH_STEPS (default 20), BENCH_FLAP_SECONDS (60), BENCH_COST_WORKLOADS (10), BENCH_COST_SECONDS (60)
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, AutoscalingV2Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Deployment, Watch } from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import { startKafka } from '../../devkit/kafka.ts';
import { startKeda } from '../../devkit/keda.ts';
import { serviceAccountKubeconfig, startKubeApiServer } from '../../devkit/kube.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { eventually } from '../../operator/testing/harness.ts';
import { repoRoot, versions } from '../../shared/versions.ts';
import { type AuditEvent, apiRequestsBy, kafkaRequestsByClient, linesSince } from '../lib/callers.ts';
import { type Processes, sampleCpu } from '../lib/cpu.ts';
import { startOperatorProcess } from '../lib/operator.ts';
import { type Scaler, type ScalerName, scalers } from './scalers.ts';

const steps = Number(process.env.BENCH_STEPS ?? 20);
const flapSeconds = Number(process.env.BENCH_FLAP_SECONDS ?? 60);
const costWorkloads = Number(process.env.BENCH_COST_WORKLOADS ?? 10);
const costSeconds = Number(process.env.BENCH_COST_SECONDS ?? 60);
const partitions = 6;
const threshold = 1000;
/** The controller-manager's default --horizontal-pod-autoscaler-sync-period. */
const hpaSyncMs = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const kafka = await startKafka({ requestLog: true });
const kube = await startKubeApiServer({ controlPlane: true, aggregationLayer: true, auditLog: true });
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const autoscaling = kc.makeApiClient(AutoscalingV2Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const client = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = client.admin();
const producer = client.producer();

const { execFileSync } = await import('node:child_process');
execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml')]);
execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'wait', '--for=condition=Established', 'crd/consumergroups.eventide.dev']);
await admin.connect();
await producer.connect();
const operatorConfig = await serviceAccountKubeconfig(kube, { namespace: 'eventide', name: 'eventide-operator' });
const operator = startOperatorProcess({ kubeconfig: operatorConfig, brokers: kafka.endpoint });
const keda = await startKeda(kube);

/** Every Deployment's spec.replicas as a watch sees it: its changes, timed on arrival. */
const seen = new Map<string, { replicas: number; at: number }[]>();
let watching = true;
const watchDeployments = async (): Promise<void> => {
  await new Watch(kc).watch(
    '/apis/apps/v1/deployments',
    {},
    (_phase, d: V1Deployment) => {
      const ns = d.metadata?.namespace ?? '';
      const replicas = d.spec?.replicas ?? 0;
      const changes = seen.get(ns) ?? [];
      if (changes.at(-1)?.replicas !== replicas) changes.push({ replicas, at: performance.now() });
      seen.set(ns, changes);
    },
    () => {
      if (watching) void watchDeployments();
    },
  );
};
await watchDeployments();

const waitFor = async (ns: string, want: number, timeoutMs: number): Promise<number | undefined> => {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const last = seen.get(ns)?.at(-1);
    if (last?.replicas === want) return last.at;
    await sleep(10);
  }
  return undefined;
};

/** A workload scaled by `scaler`: a namespace, topic, Deployment, committed offsets and the scaler's object. */
async function workload(scaler: Scaler, label: string, topic: string) {
  const ns = `${label}-${scaler.name}-${randomUUID().slice(0, 6)}`;
  const w = {
    namespace: ns,
    deployment: 'consumers',
    topic,
    groupId: `group-${randomUUID().slice(0, 8)}`,
    minReplicas: 1,
    maxReplicas: partitions,
    lagThreshold: threshold,
  };
  await core.createNamespace({ body: { metadata: { name: ns } } });
  // The group commits offset 0 everywhere, so every message produced from now on is lag.
  await admin.setOffsets({
    groupId: w.groupId,
    topic: w.topic,
    partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, offset: '0' })),
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: w.deployment },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'c' } },
        template: { metadata: { labels: { app: 'c' } }, spec: { containers: [{ name: 'c', image: 'eventide/search:0.1.0' }] } },
      },
    },
  });
  const object = scaler.object(w, kafka.endpoint);
  await custom.createNamespacedCustomObject({
    group: object.group,
    version: object.version,
    plural: object.plural,
    namespace: ns,
    body: object.body,
  });
  /** The scaler has read this workload's lag once: the operator's status, or the HPA's metric. */
  const ready = async (): Promise<boolean> => {
    if (scaler.name === 'eventide') {
      const cg = (await custom.getNamespacedCustomObject({ ...object, namespace: ns, name: w.deployment })) as {
        status?: { observedGeneration?: number; lastLagReadTime?: string };
      };
      return (cg.status?.observedGeneration ?? 0) >= 1 && cg.status?.lastLagReadTime !== undefined;
    }
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: ns, name: `keda-hpa-${w.deployment}` });
    return (hpa.status?.currentMetrics?.length ?? 0) > 0;
  };
  const produce = (count: number, hotKey?: string) =>
    producer.send({ topic: w.topic, messages: Array.from({ length: count }, (_, i) => ({ key: hotKey ?? String(i), value: 'x' })) });
  /** The consumers catch up, leaving `leave` messages unconsumed on the fullest partition. */
  const drain = async (leave = 0) => {
    const ends = await admin.fetchTopicOffsets(w.topic);
    const fullest = ends.reduce((a, b) => (Number(b.high) > Number(a.high) ? b : a)).partition;
    await admin.setOffsets({
      groupId: w.groupId,
      topic: w.topic,
      partitions: ends.map((p) => ({
        partition: p.partition,
        offset: String(Math.max(0, Number(p.high) - (p.partition === fullest ? leave : 0))),
      })),
    });
  };
  /** Gone for good, so a later phase measures no one's clean-up. */
  const dispose = async () => {
    await core.deleteNamespace({ name: ns });
    await eventually(async () => (await core.listNamespace({ fieldSelector: `metadata.name=${ns}` })).items.length === 0, {
      timeoutMs: 120_000,
      what: `namespace ${ns} deleted`,
    });
    await admin.deleteTopics({ topics: [w.topic] }).catch(() => {});
  };
  return { ns, scaler: scaler.name, ready, produce, drain, dispose };
}
type Workload = Awaited<ReturnType<typeof workload>>;

/**
 * Their topics in one request (waiting for leaders takes seconds per call), then one workload after
 * another: kafkajs's admin client is not safe for concurrent topic creation.
 */
async function workloads(list: readonly Scaler[], label: (i: number) => string): Promise<Workload[]> {
  const topics = list.map(() => `work-${randomUUID().slice(0, 8)}`);
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  const out: Workload[] = [];
  for (const [i, scaler] of list.entries()) out.push(await workload(scaler, label(i), topics[i] ?? ''));
  return out;
}

/** Every scaler has read its workload's lag; a timeout names the namespaces still waiting. */
async function readyAll(ws: readonly Workload[]): Promise<void> {
  await eventually(
    async () => {
      const ready = await Promise.all(ws.map((w) => w.ready().catch(() => false)));
      const waiting = ws.filter((_, i) => !ready[i]).map((w) => w.ns);
      if (waiting.length > 0) throw new Error(`lag not read yet for ${waiting.join(', ')}`);
      return true;
    },
    { timeoutMs: 120_000, what: 'every scaler to read its lag' },
  );
}

const reactions = new Map<ScalerName, number[]>(scalers.map((s) => [s.name, []]));
const missed = new Map<ScalerName, number>(scalers.map((s) => [s.name, 0]));
const flaps: { amplitude: number; events: Map<ScalerName, number> }[] = [];
const costs: { scaler: ScalerName; kafka: number; api: Map<string, number>; cpu: Record<string, number> }[] = [];
const unknownKafkaClients = new Set<string>();

/** Who a request belongs to: the scaler's own identities; the HPA controller for KEDA. */
const apiCaller = (e: AuditEvent): string | undefined => {
  if (e.userAgent?.includes('horizontal-pod-autoscaler')) return 'HPA controller';
  const user = e.user?.username ?? '';
  if (user === 'system:serviceaccount:eventide:eventide-operator') return 'eventide operator';
  if (user.startsWith('system:serviceaccount:keda:')) return `${user.slice('system:serviceaccount:keda:'.length)}`;
  return undefined;
};
const kafkaClientOf: Record<ScalerName, (client: string) => boolean> = {
  eventide: (c) => c.startsWith('eventide-operator'),
  'keda-defaults': (c) => c === 'sarama',
  'keda-fastest': (c) => c === 'sarama',
};
const processesOf = (name: ScalerName): Processes =>
  name === 'eventide'
    ? { 'eventide operator': () => (operator.hasExited() ? undefined : operator.pid) }
    : { 'keda-operator': () => keda.pid('operator'), 'keda-metrics-apiserver': () => keda.pid('adapter') };

try {
  console.log(
    `scaling-reaction: Kafka ${versions.kafka}, Kubernetes ${versions.kubernetes} (HPA sync ${hpaSyncMs / 1000} s), KEDA ${keda.version}, Node ${process.versions.node}, ${cpus().length} cores; ${steps} steps`,
  );
  for (let i = 0; i < steps; i++) {
    const ws = await workloads(scalers, () => `step${i}`);
    await readyAll(ws);
    await sleep(Math.random() * hpaSyncMs);
    await Promise.all(
      ws.map(async (w) => {
        await w.produce(2_500);
        const t0 = performance.now();
        const t1 = await waitFor(w.ns, 3, 90_000);
        if (t1 === undefined) missed.set(w.scaler, (missed.get(w.scaler) ?? 0) + 1);
        else reactions.get(w.scaler)?.push(Math.max(0, t1 - t0) / 1000);
      }),
    );
    await Promise.all(ws.map((w) => w.dispose()));
    console.log(`step ${i + 1}/${steps}: ${ws.map((w) => `${w.scaler} ${reactions.get(w.scaler)?.at(-1)?.toFixed(1)} s`).join(', ')}`);
  }

  for (const amplitude of [50, 150]) {
    const ws = await workloads(scalers, () => `flap${amplitude}`);
    await readyAll(ws);
    // Lag alternates between threshold − amplitude and threshold + amplitude, all on one partition.
    await Promise.all(ws.map((w) => w.produce(threshold - amplitude, 'hot')));
    const before = new Map(ws.map((w) => [w.ns, seen.get(w.ns)?.length ?? 0]));
    const end = performance.now() + flapSeconds * 1000;
    for (let over = true; performance.now() < end; over = !over) {
      await Promise.all(ws.map((w) => (over ? w.produce(2 * amplitude, 'hot') : w.drain(threshold - amplitude))));
      await sleep(3_500);
    }
    flaps.push({ amplitude, events: new Map(ws.map((w) => [w.scaler, (seen.get(w.ns)?.length ?? 0) - (before.get(w.ns) ?? 0)])) });
    await Promise.all(ws.map((w) => w.dispose()));
  }

  for (const scaler of scalers) {
    const ws = await workloads(Array(costWorkloads).fill(scaler), (i) => `cost${i}`);
    await readyAll(ws);
    await Promise.all(ws.map((w) => w.produce(threshold / 2)));
    const from = { kafka: linesSince(kafka.requestLog ?? '', 0).next, audit: linesSince(kube.auditLog ?? '', 0).next };
    const cpu0 = sampleCpu(processesOf(scaler.name));
    await sleep(costSeconds * 1000);
    const cpu1 = sampleCpu(processesOf(scaler.name));
    const kafkaCounts = kafkaRequestsByClient(linesSince(kafka.requestLog ?? '', from.kafka).lines);
    let kafkaRequests = 0;
    for (const [c, n] of kafkaCounts)
      if (kafkaClientOf[scaler.name](c)) kafkaRequests += n;
      else if (c !== 'bench') unknownKafkaClients.add(c);
    const cpu: Record<string, number> = {};
    for (const [name, s] of Object.entries(cpu1.seconds)) cpu[name] = s - (cpu0.seconds[name] ?? 0);
    const api = apiRequestsBy(linesSince(kube.auditLog ?? '', from.audit).lines, apiCaller);
    // Only this scaler's callers: the other, idle, still renews its lease and keeps its watches.
    for (const caller of api.keys()) if ((caller === 'eventide operator') !== (scaler.name === 'eventide')) api.delete(caller);
    costs.push({ scaler: scaler.name, kafka: kafkaRequests, api, cpu });
    await Promise.all(ws.map((w) => w.dispose()));
  }
} finally {
  watching = false;
  await keda.dispose();
  await operator.stop();
  await producer.disconnect();
  await admin.disconnect();
  await kube.dispose();
  await kafka.dispose();
}

const fmt = (s: number) => `${s.toFixed(1)} s`;
const stat = (name: ScalerName, p: number) => {
  const r = reactions.get(name) ?? [];
  return r.length > 0 ? fmt(percentile(r, p)) : 'n/a';
};
const flapOf = (amplitude: number, name: ScalerName) => String(flaps.find((f) => f.amplitude === amplitude)?.events.get(name) ?? 'n/a');
console.log(
  `\n${table(
    ['scaler', 'settings', 'lag step → scaled p50', 'p95', 'max', 'not scaled in 90 s', `scale events, ±5 % for ${flapSeconds} s`, '±15 %'],
    scalers.map((s) => [
      s.name,
      s.settings,
      stat(s.name, 50),
      stat(s.name, 95),
      stat(s.name, 100),
      String(missed.get(s.name)),
      flapOf(50, s.name),
      flapOf(150, s.name),
    ]),
  )}`,
);
// The earlier computed reference, kept and labelled: a 30 s poll then a 15 s sync, which is how long
// KEDA takes to activate from zero, not how an HPA that already runs reacts.
const computed = Array.from({ length: 100_000 }, () => Math.random() * 30 + Math.random() * 15);
console.log(
  `computed, not measured: KEDA from zero (poll 30 s + HPA sync 15 s): p50 ${fmt(percentile(computed, 50))}, p95 ${fmt(percentile(computed, 95))}`,
);
const ours = reactions.get('eventide') ?? [];
for (const peer of ['keda-defaults', 'keda-fastest'] as const) {
  const theirs = reactions.get(peer) ?? [];
  if (ours.length > 0 && theirs.length > 0)
    console.log(
      `${peer} / eventide: p50 ${(percentile(theirs, 50) / percentile(ours, 50)).toFixed(1)}×, p95 ${(percentile(theirs, 95) / percentile(ours, 95)).toFixed(1)}×`,
    );
}

const perMinute = (n: number) => ((n * 60) / costSeconds).toFixed(0);
console.log(
  `\ncost, ${costWorkloads} workloads at a steady lag for ${costSeconds} s, each scaler alone:\n${table(
    ['scaler', 'Kafka requests/min', 'API requests/min (by caller)', 'CPU ms/min (by process)'],
    costs.map((c) => [
      c.scaler,
      perMinute(c.kafka),
      `${perMinute([...c.api.values()].reduce((a, b) => a + b, 0))} (${[...c.api].map(([who, n]) => `${who} ${perMinute(n)}`).join(', ') || 'none'})`,
      Object.entries(c.cpu)
        .map(([who, s]) => `${who} ${((s * 60_000) / costSeconds).toFixed(0)}`)
        .join(', '),
    ]),
  )}`,
);
if (unknownKafkaClients.size > 0)
  console.log(`Kafka client ids not counted for any scaler: ${[...unknownKafkaClients].map((c) => `"${c}"`).join(', ')}`);
