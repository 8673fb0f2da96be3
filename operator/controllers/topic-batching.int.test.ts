// @needs kube kafka
import { randomUUID } from 'node:crypto';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaClient } from '../../lib/kafka.ts';
import type { Topic } from '../api/topic.ts';
import { loadConfig } from '../config.ts';
import { Operator } from '../operator.ts';
import { eventually, harness, ready } from '../testing/harness.ts';

const brokers = inject('kafkaBrokers');
const h = harness(inject('kubeconfig'), inject('kubectl'));
const custom = h.kc.makeApiClient(CustomObjectsApi);
const admin = kafkaClient({ clientId: 'topic-batching-test', brokers: brokers.split(',') }).admin();
const count = 300;
const resyncSeconds = 3;
const base = { group: 'eventide.dev', version: 'v1alpha1', plural: 'topics' };
let operator: Operator | undefined;
let ns: string;
let names: string[];
const invalid = 'bad-config';

/** What the operator's counters hold now, by label values joined with '|'. */
async function counted(metric: 'kafkaRequests' | 'kubeRequests'): Promise<Map<string, number>> {
  const values = (await (operator as Operator).metrics[metric].get()).values;
  return new Map(values.map((v) => [Object.values(v.labels).join('|'), v.value]));
}
const operatorReconciles = async () =>
  (await (operator as Operator).metrics.reconciles.get()).values
    .filter((v) => v.labels.controller === 'topic')
    .reduce((n, v) => n + v.value, 0);
const delta = (before: Map<string, number>, after: Map<string, number>, key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);

async function listTopics(): Promise<Topic[]> {
  return ((await custom.listNamespacedCustomObject({ ...base, namespace: ns })) as { items: Topic[] }).items;
}

/** Creates the Topic resources `concurrency` at a time. */
async function createAll(bodies: object[], concurrency = 20) {
  const queue = [...bodies];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let body = queue.shift(); body; body = queue.shift())
        await custom.createNamespacedCustomObject({ ...base, namespace: ns, body });
    }),
  );
}

beforeAll(async () => {
  await h.installCrds();
  await h.namespace('eventide');
  ns = await h.namespace(`batching-${randomUUID().slice(0, 8)}`);
  await admin.connect();
  const prefix = `b-${randomUUID().slice(0, 6)}`;
  names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const topic = (name: string, config: Record<string, string>) => ({
    apiVersion: 'eventide.dev/v1alpha1',
    kind: 'Topic',
    metadata: { name, namespace: ns },
    spec: { partitions: 2, config },
  });
  // All exist before the operator starts, so its first pass meets them together, as after a restart.
  await createAll([
    ...names.map((name, i) => topic(name, i % 3 === 0 ? { 'retention.ms': '3600000' } : {})),
    topic(`${prefix}-${invalid}`, { 'no.such.config': 'x' }),
  ]);
  operator = new Operator(
    loadConfig({
      KAFKA_BROKERS: brokers,
      WATCH_NAMESPACES: ns,
      POD_NAME: 'topic-batching-test',
      LEASE_NAME: `lease-${ns}`,
      LEASE_DURATION_SECONDS: '4',
      PORT: '0',
      RESYNC_SECONDS: String(resyncSeconds),
      LOG_LEVEL: process.env.TOPIC_LOG ?? 'silent',
    }),
    h.kc,
  );
  await operator.start();
});
afterAll(async () => {
  await operator?.stop();
  await admin.disconnect();
});

describe('Topic reconciliation in batches, against the real API server and Kafka', () => {
  it(`creates ${count} Topics with a handful of CreateTopics and DescribeConfigs requests, a bad one failing alone`, async () => {
    const topics = await eventually(
      async () => {
        const list = await listTopics();
        return list.filter((t) => ready(t)?.status === 'True').length === count ? list : undefined;
      },
      { timeoutMs: 90_000, what: `${count} Topics Ready` },
    );
    const inKafka = new Set(await admin.listTopics());
    expect(names.filter((n) => !inKafka.has(n))).toEqual([]);
    const metadata = await admin.fetchTopicMetadata({ topics: names.slice(0, 10) });
    expect(metadata.topics.map((t) => t.partitions.length)).toEqual(Array(10).fill(2));
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: names[0] as string }], includeSynonyms: false });
    expect(configs.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('3600000');

    // The invalid config was refused for its own Topic only, with Kafka's words.
    const bad = topics.find((t) => t.metadata.name.endsWith(invalid));
    expect(ready(bad)).toMatchObject({ status: 'False', reason: 'InvalidConfig' });

    const kafka = await counted('kafkaRequests');
    const creates = kafka.get('topics|CreateTopics') ?? 0;
    // One request per topic would be 301; batches of up to 100 need 4, and the refused topic's
    // retries with backoff add a few of their own. On a loaded machine reconciles reach the 10 ms
    // linger more spread out and batches are smaller (22 in one CI run): at most one per ten topics.
    expect(creates).toBeGreaterThan(0);
    expect(creates).toBeLessThanOrEqual(Math.ceil(count / 10));
    // Resyncs (every 3 s) describe existing topics: together, not one request per reconcile.
    const reconciles = (await operatorReconciles()) as number;
    expect(reconciles).toBeGreaterThan(count);
    expect(kafka.get('topics|DescribeConfigs') ?? 0).toBeLessThanOrEqual(reconciles / 5);
  });

  it('a resync of unchanged Topics sends only batched describes to Kafka and writes nothing to the API server', async () => {
    // The refused Topic retries with backoff; without it, nothing is left to create.
    const bad = (await listTopics()).find((t) => t.metadata.name.endsWith(invalid));
    await h.deleteTopic(ns, bad?.metadata.name as string);
    const before = await listTopics();
    const versions = new Map(before.map((t) => [t.metadata.name, t.metadata.resourceVersion]));
    // Let the first pass and the refused topic's retries settle before counting.
    await new Promise((r) => setTimeout(r, 1_000));
    const kafkaBefore = await counted('kafkaRequests');
    const kubeBefore = await counted('kubeRequests');
    await new Promise((r) => setTimeout(r, (2 * resyncSeconds + 1) * 1000));
    const kafkaAfter = await counted('kafkaRequests');
    const kubeAfter = await counted('kubeRequests');

    for (const api of ['CreateTopics', 'CreatePartitions', 'AlterConfigs', 'DeleteTopics'])
      expect(delta(kafkaBefore, kafkaAfter, `topics|${api}`), api).toBe(0);
    const describes = delta(kafkaBefore, kafkaAfter, 'topics|DescribeConfigs');
    // Two resyncs ran (so this can fail), each describing 300 topics in batches, not one by one.
    expect(describes).toBeGreaterThanOrEqual(2);
    expect(describes).toBeLessThanOrEqual(2 * 2 * Math.ceil(count / 100));
    const statusWrites = [...kubeAfter.keys()]
      .filter((k) => k.includes('topics/status'))
      .reduce((n, k) => n + delta(kubeBefore, kubeAfter, k), 0);
    expect(statusWrites).toBe(0);
    const after = await listTopics();
    expect(after.filter((t) => versions.get(t.metadata.name) !== t.metadata.resourceVersion).map((t) => t.metadata.name)).toEqual([]);
  });
});
