/**
 * Time from `kubectl apply` of N Topics to each being Ready and existing in Kafka, for N = 1, 50
 * and 200, against a real API server and Kafka, with the operator running as its own process.
 * Prints per-topic p50/p95 and the whole batch, and the operator's resident memory.
 *
 *   BENCH_SIZES (default "1,50,200"), BENCH_ROUNDS (default 3)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesObject, Watch } from '@kubernetes/client-node';
import kafkajs from 'kafkajs';
import { startKafka } from '../../devkit/kafka.ts';
import { startKubeApiServer } from '../../devkit/kube.ts';
import { median, percentile, table } from '../../devkit/stats.ts';
import { repoRoot, versions } from '../../shared/versions.ts';
import { startOperatorProcess } from '../lib/operator.ts';

const sizes = (process.env.BENCH_SIZES ?? '1,50,200').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

type Topic = KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } };

const kafka = await startKafka();
const kube = await startKubeApiServer();
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();

function kubectl(args: string[], stdin = ''): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = execFile(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { maxBuffer: 1 << 26 }, (error, _o, stderr) =>
      error ? reject(new Error(stderr)) : resolveRun(),
    );
    child.stdin?.end(stdin);
  });
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

await kubectl(['apply', '--server-side', '-f', join(repoRoot, 'charts/kind/00-crds.yaml')]);
await kubectl(['wait', '--for=condition=Established', 'crd/topics.eventide.dev']);
await core.createNamespace({ body: { metadata: { name: 'eventide' } } });
await admin.connect();
const operator = startOperatorProcess({ kubeconfig: kube.kubeconfig, brokers: kafka.endpoint });

interface Run {
  size: number;
  perTopic: number[];
  batch: number;
  rss: number;
}
const runs: Run[] = [];
try {
  console.log(
    `topic-reconcile: Kafka ${versions.kafka}, Kubernetes ${versions.kubernetes}, Node ${process.versions.node}, ${cpus().length} cores; ${rounds} rounds per size`,
  );
  // Warm-up: the operator leads and its Kafka connection is open before anything is timed.
  const warm = `warm-${randomUUID().slice(0, 6)}`;
  await core.createNamespace({ body: { metadata: { name: warm } } });
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      const namespace = `bench-${size}-${round}-${randomUUID().slice(0, 6)}`;
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      const names = Array.from({ length: size }, (_, i) => `t${i}-${randomUUID().slice(0, 6)}`);
      const readyAt = new Map<string, number>();
      // A watch can end (the API server closes it, or its storage re-initializes); it is opened
      // again until every Topic is Ready, or a run waits for events that were never delivered.
      let watch: AbortController | undefined;
      let finished = false;
      const markReady = (topic: Topic) => {
        const name = topic.metadata?.name ?? '';
        if (!readyAt.has(name) && topic.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          readyAt.set(name, performance.now());
      };
      const follow = async (): Promise<void> => {
        // What turned Ready while no watch was open.
        const list = (await custom.listNamespacedCustomObject({
          group: 'eventide.dev',
          version: 'v1alpha1',
          plural: 'topics',
          namespace,
        })) as {
          items: Topic[];
        };
        for (const topic of list.items) markReady(topic);
        watch = await new Watch(kc).watch(
          `/apis/eventide.dev/v1alpha1/namespaces/${namespace}/topics`,
          {},
          (_type, topic: Topic) => markReady(topic),
          () => {
            if (!finished) setTimeout(() => void follow().catch(() => undefined), 100);
          },
        );
      };
      await follow();
      const manifest = names
        .map((name) =>
          JSON.stringify({ apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace }, spec: { partitions: 3 } }),
        )
        .join('\n');
      const t0 = performance.now();
      await kubectl(['apply', '--server-side', '-f', '-'], manifest);
      while (readyAt.size < size) await new Promise((r) => setTimeout(r, 20));
      const batch = performance.now() - t0;
      finished = true;
      watch?.abort();
      const inKafka = new Set(await admin.listTopics());
      const missing = names.filter((n) => !inKafka.has(n));
      if (missing.length > 0) throw new Error(`${missing.length} Topics were Ready but missing from Kafka`);
      runs.push({ size, perTopic: names.map((n) => (readyAt.get(n) ?? Number.NaN) - t0), batch, rss: rssMiB(operator.pid) });
      await custom.deleteCollectionNamespacedCustomObject({ group: 'eventide.dev', version: 'v1alpha1', plural: 'topics', namespace });
    }
  }
} finally {
  await operator.stop();
  await admin.disconnect();
  await kube.dispose();
  await kafka.dispose();
}

const rows = sizes.map((size) => {
  const mine = runs.filter((r) => r.size === size);
  const perTopic = mine.flatMap((r) => r.perTopic);
  return [
    String(size),
    `${percentile(perTopic, 50).toFixed(0)} ms`,
    `${percentile(perTopic, 95).toFixed(0)} ms`,
    `${(median(mine.map((r) => r.batch)) / 1000).toFixed(2)} s`,
    `${(size / (median(mine.map((r) => r.batch)) / 1000)).toFixed(1)}`,
    `${median(mine.map((r) => r.rss)).toFixed(0)} MiB`,
  ];
});
console.log(`\n${table(['topics', 'apply→Ready p50', 'p95', 'all Ready (median)', 'topics/s', 'operator RSS'], rows)}`);
