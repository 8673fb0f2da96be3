/**
 * How fast, and how calmly, a ConsumerGroup scales: against a real API server and Kafka with the
 * operator as its own process.
 *
 * 1. Reaction: STEPS times, a lag step (0 → 2,500 messages, lagThreshold 1,000) and the time until
 *    the Deployment's scale says 3; then the backlog is committed and the group drains back to 1.
 * 2. Flapping: for FLAP_SECONDS the lag alternates between just under and just over the threshold,
 *    switching every 0.7 poll intervals (a period that is not a multiple of the poll, so polls see
 *    both sides); scale events are counted with the default 60 s scale-down window, and without one
 *    (window 0) as the baseline in the same run.
 * Printed beside them: what KEDA's defaults give for the same step (poll every 30 s, then the HPA's
 * 15 s sync), as a reference line computed from those intervals.
 *
 *   BENCH_STEPS (default 20), BENCH_FLAP_SECONDS (default 60), BENCH_POLL_SECONDS (default 5)
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import { startKafka } from '../../devkit/kafka.ts';
import { startKubeApiServer } from '../../devkit/kube.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { repoRoot, versions } from '../../shared/versions.ts';
import { startOperatorProcess } from '../lib/operator.ts';

const steps = Number(process.env.BENCH_STEPS ?? 20);
const flapSeconds = Number(process.env.BENCH_FLAP_SECONDS ?? 60);
const pollSeconds = Number(process.env.BENCH_POLL_SECONDS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const kafka = await startKafka();
const kube = await startKubeApiServer();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const client = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = client.admin();
const producer = client.producer();

const { execFileSync } = await import('node:child_process');
execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml')]);
execFileSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'wait', '--for=condition=Established', 'crd/consumergroups.eventide.dev']);
await core.createNamespace({ body: { metadata: { name: 'eventide' } } });
await admin.connect();
await producer.connect();
const operator = startOperatorProcess({ kubeconfig: kube.kubeconfig, brokers: kafka.endpoint });

/** A namespace with a 1-replica Deployment, a 6-partition topic and a ConsumerGroup over them. */
async function scenario(window: number) {
  const ns = `bench-${randomUUID().slice(0, 8)}`;
  const topic = `work-${randomUUID().slice(0, 8)}`;
  const groupId = `group-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'consumers' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'c' } },
        template: { metadata: { labels: { app: 'c' } }, spec: { containers: [{ name: 'c', image: 'eventide/search:0.1.0' }] } },
      },
    },
  });
  await custom.createNamespacedCustomObject({
    group: 'eventide.dev',
    version: 'v1alpha1',
    plural: 'consumergroups',
    namespace: ns,
    body: {
      apiVersion: 'eventide.dev/v1alpha1',
      kind: 'ConsumerGroup',
      metadata: { name: 'consumers', namespace: ns },
      spec: {
        groupId,
        topics: [topic],
        scaleTargetRef: { name: 'consumers' },
        minReplicas: 1,
        maxReplicas: 6,
        lagThreshold: 1000,
        pollIntervalSeconds: pollSeconds,
        scaleDownStabilizationSeconds: window,
        offsetResetPolicy: 'latest',
      },
    },
  });
  // The group commits offset 0 everywhere, so every message produced from now on is lag.
  await admin.setOffsets({ groupId, topic, partitions: Array.from({ length: 6 }, (_, partition) => ({ partition, offset: '0' })) });
  const replicas = async () => (await apps.readNamespacedDeploymentScale({ namespace: ns, name: 'consumers' })).spec?.replicas ?? 0;
  /** Spread over the partitions, or with `hotKey` all on one partition. */
  const produce = (count: number, hotKey?: string) =>
    producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: hotKey ?? String(i), value: 'x' })) });
  /** The consumers catch up, leaving `leave` messages unconsumed on the fullest partition. */
  const drain = async (leave = 0) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const fullest = ends.reduce((a, b) => (Number(b.high) > Number(a.high) ? b : a)).partition;
    await admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((p) => ({
        partition: p.partition,
        offset: String(Math.max(0, Number(p.high) - (p.partition === fullest ? leave : 0))),
      })),
    });
  };
  const waitFor = async (want: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if ((await replicas()) === want) return performance.now();
      await sleep(25);
    }
    throw new Error(`replicas did not reach ${want} within ${timeoutMs} ms`);
  };
  const scaleEvents = async () =>
    (await core.listNamespacedEvent({ namespace: ns })).items.filter((e) => e.reason?.startsWith('Scaled')).length;
  return { replicas, produce, drain, waitFor, scaleEvents };
}

const reactions: number[] = [];
let flaps = { windowed: 0, unwindowed: 0 };
try {
  console.log(
    `scaling-reaction: Kafka ${versions.kafka}, Kubernetes ${versions.kubernetes}, Node ${process.versions.node}, ${cpus().length} cores; poll ${pollSeconds} s, ${steps} steps`,
  );
  const step = await scenario(0);
  await step.waitFor(1, 30_000);
  for (let i = 0; i < steps; i++) {
    // Start the step at a random point of the poll cycle, as real traffic does.
    await sleep(Math.random() * pollSeconds * 1000);
    await step.produce(2_500);
    const t0 = performance.now();
    const t1 = await step.waitFor(3, (pollSeconds + 10) * 1000);
    reactions.push((t1 - t0) / 1000);
    await step.drain();
    await step.waitFor(1, (pollSeconds * 3 + 10) * 1000);
  }

  const flap = async (window: number) => {
    const s = await scenario(window);
    await s.waitFor(1, 30_000);
    // Lag alternates between 950 and 1,050 around the 1,000 threshold, all on one partition.
    await s.produce(950, 'hot');
    const end = performance.now() + flapSeconds * 1000;
    for (let over = true; performance.now() < end; over = !over) {
      if (over) await s.produce(100, 'hot');
      else await s.drain(950);
      await sleep(pollSeconds * 700);
    }
    return s.scaleEvents();
  };
  flaps = { windowed: await flap(60), unwindowed: await flap(0) };
} finally {
  await operator.stop();
  await producer.disconnect();
  await admin.disconnect();
  await kube.dispose();
  await kafka.dispose();
}

// KEDA's defaults: the scaler polls every 30 s and the HPA syncs every 15 s, so a step waits for
// the next poll (uniform over 30 s) and then the next sync (uniform over 15 s).
const keda = Array.from({ length: 100_000 }, () => Math.random() * 30 + Math.random() * 15);
const fmt = (s: number) => `${s.toFixed(1)} s`;
const ours = (p: number) => (reactions.length > 0 ? fmt(percentile(reactions, p)) : 'n/a');
console.log(
  `\n${table(
    ['scaler', 'lag step → scaled p50', 'p95', 'max', `scale events, lag ±5% around threshold for ${flapSeconds} s`],
    [
      [`eventide (poll ${pollSeconds} s, window 60 s)`, ours(50), ours(95), ours(100), String(flaps.windowed)],
      ['eventide without a scale-down window', '', '', '', String(flaps.unwindowed)],
      [
        'KEDA defaults (poll 30 s + HPA sync 15 s), computed',
        fmt(percentile(keda, 50)),
        fmt(percentile(keda, 95)),
        fmt(percentile(keda, 100)),
        'n/a',
      ],
    ],
  )}`,
);
if (reactions.length > 0)
  if (reactions.length > 0)
    console.log(`ratio KEDA / eventide, p50 time to scale: ${(percentile(keda, 50) / percentile(reactions, 50)).toFixed(1)}×`);
