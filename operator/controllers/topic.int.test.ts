// @needs kube kafka
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaClient } from '../../lib/kafka.ts';
import { loadConfig } from '../config.ts';
import { Operator } from '../operator.ts';
import { eventually, harness, ready } from '../testing/harness.ts';

const brokers = inject('kafkaBrokers');
const h = harness(inject('kubeconfig'), inject('kubectl'));
const admin = kafkaClient({ clientId: 'topic-test', brokers: brokers.split(',') }).admin();
const resyncSeconds = 3;
let operator: Operator;
let ns: string;

async function kafkaTopic(name: string) {
  const names = await admin.listTopics();
  if (!names.includes(name)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [name] });
  const configs = await admin.describeConfigs({ resources: [{ type: 2, name }], includeSynonyms: false });
  const entries = configs.resources[0]?.configEntries ?? [];
  return {
    partitions: metadata.topics[0]?.partitions.length ?? 0,
    // Topic-level overrides only (DYNAMIC_TOPIC_CONFIG); Kafka 4 also reports a cluster-wide dynamic
    // min.insync.replicas as non-default.
    config: Object.fromEntries(
      entries.filter((e) => (e as { configSource?: number }).configSource === 1).map((e) => [e.configName, e.configValue]),
    ),
  };
}
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const readyReason = async (name: string, reason: string) => {
  const topic = await h.getTopic(ns, name);
  return ready(topic)?.reason === reason && topic?.status?.observedGeneration === topic?.metadata.generation ? topic : undefined;
};

/** The Warning Events a Topic got with this reason. */
const refusals = async (name: string, reason: string) =>
  (await h.events(ns, name)).filter((e) => e.type === 'Warning' && e.reason === reason);

beforeAll(async () => {
  await h.installCrds();
  await h.namespace('eventide');
  ns = await h.namespace(unique('topics'));
  await admin.connect();
  operator = new Operator(
    loadConfig({
      KAFKA_BROKERS: brokers,
      POD_NAME: 'topic-test-operator',
      LEASE_NAME: unique('lease'),
      LEASE_DURATION_SECONDS: '4',
      PORT: '0',
      RESYNC_SECONDS: String(resyncSeconds),
      LOG_LEVEL: process.env.TOPIC_LOG ?? 'silent',
    }),
    h.kc,
  );
  await operator.start();
  await eventually(async () => operator.isLeader, { what: 'the operator to lead' });
});
afterAll(async () => {
  await operator?.stop();
  await admin.disconnect();
});

describe('Topic controller against the real API server and Kafka', () => {
  it('creates the Kafka topic with its partitions and configs, and says so', async () => {
    const name = unique('orders');
    await h.applyTopic(ns, name, { partitions: 3, config: { 'retention.ms': 3600000, 'cleanup.policy': 'compact' } });
    const topic = await eventually(() => readyReason(name, 'Reconciled'), { what: `${name} Ready` });
    expect(await kafkaTopic(name)).toEqual({ partitions: 3, config: { 'retention.ms': '3600000', 'cleanup.policy': 'compact' } });
    expect(topic.status).toMatchObject({ topicName: name, partitions: 3, replicationFactor: 1, observedGeneration: 1 });
    expect(ready(topic)).toMatchObject({ status: 'True', observedGeneration: 1 });
    expect(topic.metadata.finalizers ?? []).toEqual([]);
    const events = await eventually(async () => {
      const list = await h.events(ns, name);
      return list.some((e) => e.reason === 'TopicCreated') ? list : undefined;
    });
    expect(events.find((e) => e.reason === 'TopicCreated')?.message).toContain('created with 3 partitions');
  });

  it('follows edits: more partitions, a changed key, and a removed key back to the default', async () => {
    const name = unique('edits');
    await h.applyTopic(ns, name, { partitions: 2, config: { 'retention.ms': 1000000, 'max.message.bytes': 2000000 } });
    await eventually(() => readyReason(name, 'Reconciled'));
    await h.applyTopic(ns, name, { partitions: 5, config: { 'retention.ms': 2000000 } });
    await eventually(async () => (await h.getTopic(ns, name))?.status?.partitions === 5 && readyReason(name, 'Reconciled'));
    expect(await kafkaTopic(name)).toEqual({ partitions: 5, config: { 'retention.ms': '2000000' } });
  });

  it('refuses to shrink partitions: a condition, a Warning Event once per generation, and Kafka untouched', async () => {
    const name = unique('shrink');
    await h.applyTopic(ns, name, { partitions: 4, config: { 'retention.ms': 1000000 } });
    await eventually(() => readyReason(name, 'Reconciled'));
    await h.applyTopic(ns, name, { partitions: 2, config: { 'retention.ms': 5000000 } });
    const topic = await eventually(() => readyReason(name, 'PartitionDecreaseNotSupported'));
    expect(ready(topic)?.status).toBe('False');
    expect(ready(topic)?.message).toContain('has 4, the spec asks for 2');
    expect(await kafkaTopic(name)).toEqual({ partitions: 4, config: { 'retention.ms': '1000000' } });
    const warning = await eventually(async () => (await refusals(name, 'PartitionDecreaseNotSupported')).at(0));
    expect(warning.message).toContain('has 4, the spec asks for 2');
    // Resyncs reconcile it again and again; the refusal is told once, not on each of them.
    await new Promise((r) => setTimeout(r, (2 * resyncSeconds + 1) * 1000));
    expect(await refusals(name, 'PartitionDecreaseNotSupported')).toHaveLength(1);
    // A new generation that is still refused is a new decision, told again.
    await h.applyTopic(ns, name, { partitions: 3, config: { 'retention.ms': 5000000 } });
    await eventually(async () => (await refusals(name, 'PartitionDecreaseNotSupported')).length === 2, {
      what: 'a second Warning for generation 3',
    });
  });

  it('refuses to change the replication factor: a condition and a Warning Event with its reason', async () => {
    const name = unique('rf');
    await h.applyTopic(ns, name, { partitions: 1, replicationFactor: 1 });
    await eventually(() => readyReason(name, 'Reconciled'));
    await h.applyTopic(ns, name, { partitions: 1, replicationFactor: 2 });
    const topic = await eventually(() => readyReason(name, 'ReplicationFactorChangeNotSupported'));
    expect(ready(topic)?.status).toBe('False');
    const warning = await eventually(async () => (await refusals(name, 'ReplicationFactorChangeNotSupported')).at(0));
    expect(warning.message).toBe(ready(topic)?.message);
  });

  it("reports Kafka's error for a bad config key, and retries with backoff rather than in a storm", async () => {
    const name = unique('badconfig');
    await h.applyTopic(ns, name, { partitions: 1, config: { 'no.such.setting': 'x' } });
    const topic = await eventually(() => readyReason(name, 'InvalidConfig'));
    expect(ready(topic)?.message).toMatch(/Kafka refused to create topic .*: .*config/i);
    expect(await kafkaTopic(name)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 4_000));
    const metrics = await operator.metrics.registry.getSingleMetricAsString('eventide_workqueue_retry_delay_seconds');
    const delay = Number(new RegExp(`key="${ns}/${name}"} ([0-9.]+)`).exec(metrics)?.[1]);
    // Backoff doubles from 0.1 s: after ~4 s of failures the next wait is 2 s or more, not zero.
    expect(delay).toBeGreaterThanOrEqual(2);
    // A fixed spec is picked up and the failure clears.
    await h.applyTopic(ns, name, { partitions: 1, config: { 'retention.ms': 1000000 } });
    await eventually(() => readyReason(name, 'Reconciled'), { timeoutMs: 40_000 });
  });

  it('gives a Kafka topic claimed twice to the older Topic; the newer reports the conflict', async () => {
    const kafkaName = unique('shared');
    const other = await h.namespace(unique('team-b'));
    await h.applyTopic(ns, 'first-claim', { topicName: kafkaName, partitions: 2 });
    await eventually(() => readyReason('first-claim', 'Reconciled'));
    // creationTimestamp has one-second resolution: make the second claim visibly younger.
    await new Promise((r) => setTimeout(r, 1_100));
    await h.applyTopic(other, 'second-claim', { topicName: kafkaName, partitions: 7 });
    const loser = await eventually(async () => {
      const t = await h.getTopic(other, 'second-claim');
      return ready(t)?.reason === 'TopicNameConflict' ? t : undefined;
    });
    expect(ready(loser)?.message).toContain(`managed by Topic ${ns}/first-claim`);
    expect((await kafkaTopic(kafkaName))?.partitions).toBe(2);
  });

  it('deletes the Kafka topic for deletionPolicy Delete, and keeps it for Retain', async () => {
    const doomed = unique('doomed');
    const kept = unique('kept');
    await h.applyTopic(ns, doomed, { partitions: 1, deletionPolicy: 'Delete' });
    await h.applyTopic(ns, kept, { partitions: 1, deletionPolicy: 'Retain' });
    const withFinalizer = await eventually(async () => {
      const t = await readyReason(doomed, 'Reconciled');
      return t?.metadata.finalizers?.includes('eventide.dev/delete-kafka-topic') ? t : undefined;
    });
    expect(withFinalizer.metadata.finalizers).toEqual(['eventide.dev/delete-kafka-topic']);
    await eventually(() => readyReason(kept, 'Reconciled'));
    await h.deleteTopic(ns, doomed);
    await h.deleteTopic(ns, kept);
    await eventually(async () => (await h.getTopic(ns, doomed)) === undefined && (await h.getTopic(ns, kept)) === undefined);
    expect(await kafkaTopic(doomed)).toBeUndefined();
    expect(await kafkaTopic(kept)).toBeDefined();
  });

  it('repairs drift within one resync: a topic deleted or altered behind its back comes back', async () => {
    const name = unique('drift');
    await h.applyTopic(ns, name, { partitions: 2, config: { 'retention.ms': 1000000 } });
    await eventually(() => readyReason(name, 'Reconciled'));
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name, configEntries: [{ name: 'retention.ms', value: '42' }] }],
    });
    await eventually(async () => (await kafkaTopic(name))?.config['retention.ms'] === '1000000', {
      timeoutMs: (resyncSeconds + 3) * 1000,
      what: 'config restored',
    });
    await admin.deleteTopics({ topics: [name] });
    await eventually(async () => (await kafkaTopic(name))?.partitions === 2, {
      timeoutMs: (resyncSeconds + 5) * 1000,
      what: 'topic recreated',
    });
  });

  it('adopts a topic that already exists in Kafka', async () => {
    const name = unique('existing');
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await h.applyTopic(ns, name, { partitions: 3, config: { 'retention.ms': 7000000 } });
    await eventually(() => readyReason(name, 'Reconciled'));
    expect(await kafkaTopic(name)).toEqual({ partitions: 3, config: { 'retention.ms': '7000000' } });
  });

  it('leaves a paused Topic alone, and an unmanaged one in Kafka when its resource is deleted', async () => {
    const paused = unique('paused');
    await h.applyTopic(ns, paused, { partitions: 1 });
    await eventually(() => readyReason(paused, 'Reconciled'));
    await h.applyTopic(ns, paused, { partitions: 3 }, { 'eventide.dev/paused': 'true' });
    await eventually(async () =>
      (await h.getTopic(ns, paused))?.status?.conditions?.some((c) => c.type === 'ReconciliationPaused' && c.status === 'True'),
    );
    await new Promise((r) => setTimeout(r, (resyncSeconds + 1) * 1000));
    expect((await kafkaTopic(paused))?.partitions).toBe(1);

    const unmanaged = unique('unmanaged');
    await h.applyTopic(ns, unmanaged, { partitions: 1, deletionPolicy: 'Delete' });
    await eventually(() => readyReason(unmanaged, 'Reconciled'));
    await h.applyTopic(ns, unmanaged, { partitions: 1, deletionPolicy: 'Delete' }, { 'eventide.dev/managed': 'false' });
    await eventually(() => readyReason(unmanaged, 'Unmanaged'));
    await h.deleteTopic(ns, unmanaged);
    await eventually(async () => (await h.getTopic(ns, unmanaged)) === undefined);
    expect(await kafkaTopic(unmanaged)).toBeDefined();
  });

  it('brings 200 Topics applied at once to Ready', async () => {
    const bulk = await h.namespace(unique('bulk'));
    const names = Array.from({ length: 200 }, (_, i) => `bulk-${i}-${randomUUID().slice(0, 6)}`);
    const manifest = names
      .map((name) =>
        JSON.stringify({
          apiVersion: 'eventide.dev/v1alpha1',
          kind: 'Topic',
          metadata: { name, namespace: bulk },
          spec: { partitions: 1 },
        }),
      )
      .join('\n');
    const t0 = Date.now();
    const { execFile } = await import('node:child_process');
    await new Promise<void>((resolveApply, reject) => {
      const child = execFile(
        inject('kubectl'),
        ['--kubeconfig', inject('kubeconfig'), 'apply', '--server-side', '-f', '-'],
        { maxBuffer: 1 << 24 },
        (error, _o, stderr) => (error ? reject(new Error(stderr)) : resolveApply()),
      );
      child.stdin?.end(manifest);
    });
    await eventually(
      async () => {
        const list = JSON.parse(await h.kubectl('get', 'topics', '-n', bulk, '-o', 'json')) as {
          items: { status?: { conditions?: { type: string; status: string }[] } }[];
        };
        return list.items.filter((t) => t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 200;
      },
      { timeoutMs: 110_000, what: '200 Topics Ready' },
    );
    const inKafka = new Set(await admin.listTopics());
    expect(names.every((n) => inKafka.has(n))).toBe(true);
    console.log(`200 Topics Ready and in Kafka ${((Date.now() - t0) / 1000).toFixed(1)} s after the apply`);
  });
});
