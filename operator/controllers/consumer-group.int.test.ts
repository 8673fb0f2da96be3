// @needs kube kafka
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type KafkaServer, startKafka } from '../../devkit/kafka.ts';
import { type Admin, kafkaClient } from '../../lib/kafka.ts';
import type { ConsumerGroup, ConsumerGroupSpec } from '../api/consumer-group.ts';
import { loadConfig } from '../config.ts';
import { Operator } from '../operator.ts';
import { eventually, harness } from '../testing/harness.ts';

const brokers = inject('kafkaBrokers');
const h = harness(inject('kubeconfig'), inject('kubectl'));
const apps = h.kc.makeApiClient(AppsV1Api);
const custom = h.kc.makeApiClient(CustomObjectsApi);
const pollSeconds = 2;
const operators: Operator[] = [];

function operatorFor(kafkaBrokers: string, namespace: string): Operator {
  const operator = new Operator(
    loadConfig({
      KAFKA_BROKERS: kafkaBrokers,
      WATCH_NAMESPACES: namespace,
      POD_NAME: `cg-test-${randomUUID().slice(0, 6)}`,
      LEASE_NAME: `lease-${namespace}`,
      LEASE_DURATION_SECONDS: '3',
      PORT: '0',
      LOG_LEVEL: process.env.CG_LOG ?? 'silent',
    }),
    h.kc,
  );
  operators.push(operator);
  return operator;
}

async function deployment(namespace: string, name: string, replicas: number) {
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'eventide/search:0.1.0' }] } },
      },
    },
  });
}
const replicas = async (namespace: string, name: string) => (await apps.readNamespacedDeploymentScale({ namespace, name })).spec?.replicas;
const getGroup = async (namespace: string, name: string) =>
  (await custom.getNamespacedCustomObject({
    group: 'eventide.dev',
    version: 'v1alpha1',
    plural: 'consumergroups',
    namespace,
    name,
  })) as ConsumerGroup;
const condition = (group: ConsumerGroup, type: string) => group.status?.conditions?.find((c) => c.type === type);

async function setupTopic(admin: Admin, topic: string) {
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
}
async function produce(kafkaBrokers: string, topic: string, count: number) {
  const producer = kafkaClient({
    clientId: 'cg-test',
    brokers: kafkaBrokers.split(','),
  }).producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: String(i), value: 'x' })) });
  await producer.disconnect();
}
/** "Consume the backlog": the group commits the end offset of every partition. */
async function consumeAll(admin: Admin, groupId: string, topic: string) {
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
}

afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
});

describe('ConsumerGroup controller against the real API server and Kafka', () => {
  const ns = `cg-${randomUUID().slice(0, 8)}`;
  const topic = `work-${randomUUID().slice(0, 8)}`;
  const groupId = `workers-${randomUUID().slice(0, 8)}`;
  const admin = kafkaClient({ clientId: 'cg-admin', brokers: brokers.split(',') }).admin();
  const spec = (overrides: Partial<ConsumerGroupSpec> = {}) =>
    JSON.stringify({
      apiVersion: 'eventide.dev/v1alpha1',
      kind: 'ConsumerGroup',
      metadata: { name: 'workers', namespace: ns },
      spec: {
        groupId,
        topics: [topic],
        scaleTargetRef: { name: 'workers' },
        minReplicas: 1,
        maxReplicas: 4,
        lagThreshold: 100,
        pollIntervalSeconds: pollSeconds,
        scaleDownStabilizationSeconds: 4,
        offsetResetPolicy: 'earliest',
        // No pods run on this control plane, so nothing commits between the test's own commits:
        // keep stall detection (unit-tested) from calling the idle partitions stuck.
        stallAfterPolls: 1000,
        ...overrides,
      },
    });
  const apply = (overrides: Partial<ConsumerGroupSpec> = {}) =>
    new Promise<void>((resolveApply, reject) => {
      const child = execFile(
        inject('kubectl'),
        ['--kubeconfig', inject('kubeconfig'), 'apply', '--server-side', '--force-conflicts', '-f', '-'],
        (e, _o, err) => (e ? reject(new Error(err)) : resolveApply()),
      );
      child.stdin?.end(spec(overrides));
    });

  beforeAll(async () => {
    await h.installCrds();
    await h.namespace('eventide');
    await h.namespace(ns);
    await admin.connect();
    await setupTopic(admin, topic);
    await deployment(ns, 'workers', 1);
    const operator = operatorFor(brokers, ns);
    await operator.start();
    await eventually(async () => operator.isLeader);
    await apply();
    await eventually(async () => condition(await getGroup(ns, 'workers'), 'Ready')?.status === 'True', { what: 'the group Ready' });
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('scales up within one poll interval of a backlog, capped by maxReplicas, and says why', async () => {
    await produce(brokers, topic, 1_000);
    const t0 = Date.now();
    await eventually(async () => (await replicas(ns, 'workers')) === 4, { timeoutMs: 10_000, what: 'scale to 4' });
    const reaction = Date.now() - t0;
    expect(reaction).toBeLessThanOrEqual((pollSeconds + 1) * 1000);
    const group = await eventually(async () => {
      const g = await getGroup(ns, 'workers');
      return g.status?.desiredReplicas === 4 ? g : undefined;
    });
    expect(group.status).toMatchObject({ groupId, totalLag: 1000, currentReplicas: 4, desiredReplicas: 4 });
    expect(group.status?.partitions).toHaveLength(6);
    expect(condition(group, 'ScalingLimited')).toMatchObject({ status: 'True', reason: 'MaxReplicas' });
    expect(condition(group, 'Active')?.status).toBe('True');
    const events = await h.events(ns, 'workers');
    expect(events.find((e) => e.reason === 'ScaledUp')?.message).toMatch(/1 → 4 replicas; lag 1000 over 6 partitions/);
  });

  it('lifts the cap to the partition count when maxReplicas allows more, and says so', async () => {
    await apply({ maxReplicas: 50 });
    await eventually(async () => (await replicas(ns, 'workers')) === 6, { timeoutMs: 10_000, what: 'scale to 6' });
    const group = await eventually(async () => {
      const g = await getGroup(ns, 'workers');
      return condition(g, 'ScalingLimited')?.reason === 'PartitionCount' ? g : undefined;
    });
    expect(condition(group, 'ScalingLimited')?.message).toContain('the topics have 6 partitions');
  });

  it('scales down to minReplicas only after the stabilization window, never below', async () => {
    const scaledUpAt = Date.parse((await getGroup(ns, 'workers')).status?.lastScaleTime ?? '');
    await consumeAll(admin, groupId, topic);
    const seen = new Set<number>();
    await eventually(
      async () => {
        const r = (await replicas(ns, 'workers')) ?? -1;
        seen.add(r);
        // The scale lands before the status that records it: wait for both.
        return r === 1 && (await getGroup(ns, 'workers')).status?.currentReplicas === 1;
      },
      { timeoutMs: 20_000, what: 'scale down to 1' },
    );
    const group = await getGroup(ns, 'workers');
    // The last poll that still wanted 6 replicas was at or after the scale-up; the window of 4 s
    // counts from there.
    expect(Date.parse(group.status?.lastScaleTime ?? '') - scaledUpAt).toBeGreaterThanOrEqual(4_000);
    expect(Math.min(...seen)).toBe(1);
    expect(group.status?.totalLag).toBe(0);
    expect(condition(group, 'Active')?.status).toBe('False');
    const down = (await h.events(ns, 'workers')).find((e) => e.reason === 'ScaledDown');
    expect(down?.message).toMatch(/6 → 1 replicas; lag 0/);
  });

  it('does not scale spuriously when the operator restarts', async () => {
    await produce(brokers, topic, 250);
    await eventually(async () => (await replicas(ns, 'workers')) === 3, { timeoutMs: 10_000, what: 'scale to 3' });
    // A scale's Event is written after the scale itself: count once no more arrive for a poll interval.
    const scaledEvents = async () => (await h.events(ns, 'workers')).filter((e) => e.reason.startsWith('Scaled')).length;
    let before = await scaledEvents();
    for (let settled = false; !settled; ) {
      await new Promise((r) => setTimeout(r, pollSeconds * 1000 + 500));
      const now = await scaledEvents();
      settled = now === before;
      before = now;
    }
    await operators[0]?.stop();
    const restarted = operatorFor(brokers, ns);
    await restarted.start();
    await eventually(async () => restarted.isLeader, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 3 * pollSeconds * 1000));
    expect(await replicas(ns, 'workers')).toBe(3);
    expect((await h.events(ns, 'workers')).filter((e) => e.reason.startsWith('Scaled')).length).toBe(before);
  });
});

describe('ConsumerGroup controller when Kafka goes away', () => {
  let kafka: KafkaServer;
  const ns = `cg-outage-${randomUUID().slice(0, 8)}`;
  const topic = 'outage';

  beforeAll(async () => {
    kafka = await startKafka();
    const admin = kafkaClient({ clientId: 'cg-outage', brokers: kafka.brokers }).admin();
    await admin.connect();
    await setupTopic(admin, topic);
    await admin.disconnect();
    await h.namespace(ns);
    await deployment(ns, 'workers', 1);
    await produce(kafka.endpoint, topic, 300);
    const operator = operatorFor(kafka.endpoint, ns);
    await operator.start();
    await eventually(async () => operator.isLeader);
  }, 240_000);
  afterAll(async () => {
    await kafka?.dispose();
  });

  it('holds the replicas and says why, then scales again when Kafka returns', async () => {
    const body = {
      apiVersion: 'eventide.dev/v1alpha1',
      kind: 'ConsumerGroup',
      metadata: { name: 'workers', namespace: ns },
      spec: {
        groupId: 'outage-group',
        topics: [topic],
        scaleTargetRef: { name: 'workers' },
        lagThreshold: 100,
        pollIntervalSeconds: pollSeconds,
        offsetResetPolicy: 'earliest',
      },
    };
    await custom.createNamespacedCustomObject({
      group: 'eventide.dev',
      version: 'v1alpha1',
      plural: 'consumergroups',
      namespace: ns,
      body,
    });
    // Seen once in CI (not reproduced alone): no scale within 30 s. Say what the controller saw.
    await eventually(async () => (await replicas(ns, 'workers')) === 3, { what: 'scale to 3' }).catch(async (error: Error) => {
      const g = await getGroup(ns, 'workers').catch(() => undefined);
      throw new Error(`${error.message}; ConsumerGroup status: ${JSON.stringify(g?.status)}`);
    });

    await kafka.kill();
    const held = await eventually(
      async () => {
        const g = await getGroup(ns, 'workers');
        return condition(g, 'Ready')?.reason === 'LagUnavailable' ? g : undefined;
      },
      { timeoutMs: 30_000, what: 'LagUnavailable' },
    );
    expect(condition(held, 'Ready')?.message).toContain('holding 3 replicas');
    await new Promise((r) => setTimeout(r, 2 * pollSeconds * 1000));
    expect(await replicas(ns, 'workers')).toBe(3);

    await kafka.start();
    await produce(kafka.endpoint, topic, 300);
    await eventually(async () => (await replicas(ns, 'workers')) === 6, { timeoutMs: 40_000, what: 'scale to 6 after Kafka returns' });
    // The controller scales first and then writes its status, and a poll between Kafka's return and
    // the new records may already have written Ready with 3 (seen in CI): wait for the status of 6.
    const recovered = await eventually(
      async () => {
        const g = await getGroup(ns, 'workers');
        return condition(g, 'Ready')?.status === 'True' && g.status?.currentReplicas === 6 ? g : undefined;
      },
      { what: 'Ready with 6 replicas in the status' },
    );
    expect(recovered.status?.desiredReplicas).toBe(6);
  }, 120_000);
});

describe('ConsumerGroup controller stays out of the way', () => {
  const ns = `cg-polite-${randomUUID().slice(0, 8)}`;
  const topic = `polite-${randomUUID().slice(0, 8)}`;
  const create = (name: string, target: string, extra: Partial<ConsumerGroupSpec> = {}) =>
    custom.createNamespacedCustomObject({
      group: 'eventide.dev',
      version: 'v1alpha1',
      plural: 'consumergroups',
      namespace: ns,
      body: {
        apiVersion: 'eventide.dev/v1alpha1',
        kind: 'ConsumerGroup',
        metadata: { name, namespace: ns },
        spec: {
          groupId: name,
          topics: [topic],
          scaleTargetRef: { name: target },
          lagThreshold: 100,
          pollIntervalSeconds: pollSeconds,
          offsetResetPolicy: 'earliest',
          ...extra,
        },
      },
    });
  const reason = async (name: string) => condition(await getGroup(ns, name), 'Ready')?.reason;

  beforeAll(async () => {
    const admin = kafkaClient({ clientId: 'cg-polite', brokers: brokers.split(',') }).admin();
    await admin.connect();
    await setupTopic(admin, topic);
    await admin.disconnect();
    await h.namespace(ns);
    await produce(brokers, topic, 600);
    const operator = operatorFor(brokers, ns);
    await operator.start();
    await eventually(async () => operator.isLeader);
  });

  it('reports a target that does not exist, and scales it once it does', async () => {
    await create('late', 'late-workers');
    await eventually(async () => (await reason('late')) === 'TargetNotFound', { what: 'TargetNotFound' });
    expect(condition(await getGroup(ns, 'late'), 'Ready')?.message).toContain('Deployment');
    await deployment(ns, 'late-workers', 1);
    await eventually(async () => (await replicas(ns, 'late-workers')) === 6, { timeoutMs: 15_000, what: 'scale once the target exists' });
  });

  it('leaves a workload alone when an HPA also scales it', async () => {
    await deployment(ns, 'hpa-workers', 1);
    const { AutoscalingV2Api } = await import('@kubernetes/client-node');
    await h.kc.makeApiClient(AutoscalingV2Api).createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: 'cpu' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hpa-workers' }, minReplicas: 1, maxReplicas: 3 },
      },
    });
    await create('contested', 'hpa-workers');
    await eventually(async () => (await reason('contested')) === 'ConflictingAutoscaler', { what: 'ConflictingAutoscaler' });
    await new Promise((r) => setTimeout(r, 2 * pollSeconds * 1000));
    expect(await replicas(ns, 'hpa-workers')).toBe(1);
  });

  it('reports lag but does not scale while paused', async () => {
    await deployment(ns, 'paused-workers', 1);
    await create('resting', 'paused-workers', { paused: true });
    const group = await eventually(async () => {
      const g = await getGroup(ns, 'resting');
      return condition(g, 'Ready')?.reason === 'Paused' && g.status?.totalLag === 600 ? g : undefined;
    });
    expect(group.status?.desiredReplicas).toBe(6);
    await new Promise((r) => setTimeout(r, 2 * pollSeconds * 1000));
    expect(await replicas(ns, 'paused-workers')).toBe(1);
  });
});

describe('ConsumerGroup controller tells a dead group from a stalled partition', () => {
  const ns = `cg-dead-${randomUUID().slice(0, 8)}`;
  const topic = `dead-${randomUUID().slice(0, 8)}`;
  const groupId = `dead-${randomUUID().slice(0, 8)}`;
  const admin = kafkaClient({ clientId: 'cg-dead', brokers: brokers.split(',') }).admin();

  beforeAll(async () => {
    await admin.connect();
    await setupTopic(admin, topic);
    await h.namespace(ns);
    await produce(brokers, topic, 600);
    // The group once consumed part of the backlog, then every member went away.
    await admin.setOffsets({ groupId, topic, partitions: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, offset: '10' })) });
    await deployment(ns, 'dead-workers', 2);
    const operator = operatorFor(brokers, ns);
    await operator.start();
    await eventually(async () => operator.isLeader);
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('a group with lag and no members is Ready=False NoActiveMembers with a Warning Event, its partitions not Stalled; a member brings it back', async () => {
    await custom.createNamespacedCustomObject({
      group: 'eventide.dev',
      version: 'v1alpha1',
      plural: 'consumergroups',
      namespace: ns,
      body: {
        apiVersion: 'eventide.dev/v1alpha1',
        kind: 'ConsumerGroup',
        metadata: { name: 'dead', namespace: ns },
        spec: {
          groupId,
          topics: [topic],
          scaleTargetRef: { name: 'dead-workers' },
          lagThreshold: 1000,
          maxReplicas: 2,
          pollIntervalSeconds: 1,
          stallAfterPolls: 2,
          offsetResetPolicy: 'earliest',
        },
      },
    });
    const dead = await eventually(
      async () => {
        const g = await getGroup(ns, 'dead');
        return condition(g, 'Ready')?.reason === 'NoActiveMembers' ? g : undefined;
      },
      { timeoutMs: 20_000, what: 'Ready=False NoActiveMembers' },
    );
    expect(condition(dead, 'Ready')?.status).toBe('False');
    expect(condition(dead, 'Consuming')).toMatchObject({ status: 'False', reason: 'NoActiveMembers' });
    expect(condition(dead, 'Consuming')?.message).toContain('has no members');
    expect(condition(dead, 'Stalled')).toMatchObject({ status: 'False', reason: 'NoActiveMembers' });
    expect(dead.status?.partitions?.filter((p) => p.stalledSince !== undefined)).toEqual([]);
    expect(dead.status?.activeMembers).toBe(0);
    expect(dead.status?.totalLag).toBe(540);
    expect(Date.now() - Date.parse(dead.status?.lastLagReadTime ?? '')).toBeLessThan(10_000);
    const warnings = (await h.events(ns, 'dead')).filter((e) => e.type === 'Warning' && e.reason === 'NoActiveMembers');
    expect(warnings).toHaveLength(1);
    // Later polls of the same dead group record no further Event.
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await h.events(ns, 'dead')).filter((e) => e.reason === 'NoActiveMembers')).toHaveLength(1);

    const consumer = kafkaClient({
      clientId: 'cg-dead-member',
      brokers: brokers.split(','),
    }).consumer({
      groupId,
    });
    await consumer.connect();
    await consumer.subscribe({ topic });
    await consumer.run({ eachMessage: async () => {} });
    try {
      const back = await eventually(
        async () => {
          const g = await getGroup(ns, 'dead');
          return condition(g, 'Consuming')?.reason === 'MembersConsuming' ? g : undefined;
        },
        { timeoutMs: 30_000, what: 'Consuming=True once a member joins' },
      );
      expect(condition(back, 'Ready')).toMatchObject({ status: 'True', reason: 'Scaling' });
      expect(back.status?.activeMembers).toBe(1);
      expect((await h.events(ns, 'dead')).some((e) => e.type === 'Normal' && e.reason === 'ConsumingAgain')).toBe(true);
    } finally {
      await consumer.disconnect();
    }
  });
});
