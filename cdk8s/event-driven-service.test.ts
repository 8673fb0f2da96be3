import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { EventDrivenService, type EventDrivenServiceProps } from './event-driven-service.ts';
import { StrimziKafka } from './kafka.ts';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

/** A workloads chart, a resources chart and a Kafka cluster, as platform.ts has them. */
function setup() {
  const app = Testing.app();
  const workloads = new Chart(app, 'workloads');
  const resources = new Chart(app, 'resources');
  const cluster = new StrimziKafka(workloads, 'kafka', { replicationFactor: 3, minInsyncReplicas: 2 });
  const declare = (props: Partial<EventDrivenServiceProps> & { name: string }) =>
    new EventDrivenService(workloads, props.name, {
      image: `eventide/${props.name}:1.0.0`,
      command: ['node', `${props.name}.js`],
      ...props,
    });
  const synth = () => ({
    workloads: Testing.synth(workloads) as Manifest[],
    resources: Testing.synth(resources) as Manifest[],
  });
  return { kafka: { cluster, resources }, declare, synth };
}
const find = (objects: Manifest[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
type Container = {
  env?: { name: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef: { name: string } }[];
  ports: { containerPort: number }[];
};
const container = (deployment: Manifest | undefined) =>
  (deployment?.spec as { template: { spec: { containers: Container[] } } } | undefined)?.template.spec.containers[0];

describe('EventDrivenService', () => {
  it('gives a consumer a ConsumerGroup scaling its Deployment and a <group>.dlq Topic, in the resources chart', () => {
    const { kafka, declare, synth } = setup();
    declare({ name: 'counter', kafka, consumes: { topics: ['catalog.events'], group: 'counts', maxReplicas: 3 } });
    const { workloads, resources } = synth();

    expect(find(resources, 'ConsumerGroup')).toEqual([
      expect.objectContaining({
        metadata: { name: 'counts', namespace: 'eventide' },
        spec: {
          groupId: 'counts',
          topics: ['catalog.events'],
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'counter' },
          minReplicas: 1,
          maxReplicas: 3,
          lagThreshold: 1000,
          pollIntervalSeconds: 5,
          scaleDownStabilizationSeconds: 60,
          offsetResetPolicy: 'earliest',
        },
      }),
    ]);
    expect(find(resources, 'Topic').map((t) => t.spec)).toEqual([
      {
        topicName: 'counts.dlq',
        partitions: 1,
        replicationFactor: 3,
        config: { 'min.insync.replicas': '2', 'retention.ms': '2419200000' },
        deletionPolicy: 'Retain',
      },
    ]);
    expect(find(resources, 'Topic')[0]?.metadata.name).toBe('counts-dlq');
    // Nothing of Kafka's in the workloads chart, nothing of the workload's in the resources chart.
    expect(find(workloads, 'ConsumerGroup').length + find(workloads, 'Topic').length).toBe(0);
    expect(resources.map((o) => o.kind).sort()).toEqual(['ConsumerGroup', 'Topic']);

    const deployment = find(workloads, 'Deployment', 'counter')[0];
    expect(deployment?.spec).not.toHaveProperty('replicas');
    expect(deployment?.metadata.labels?.['app.kubernetes.io/component']).toBe('consumer');
    expect(find(workloads, 'ConfigMap', 'counter')[0]?.data).toEqual({
      PORT: '8080',
      KAFKA_BROKERS: 'eventide-kafka-bootstrap.eventide.svc:9092',
      KAFKA_GROUP_ID: 'counts',
    });
  });

  it('names the group and its dead-letter topic after the service by default', () => {
    const { kafka, declare, synth } = setup();
    declare({ name: 'search-indexer', kafka, consumes: { topics: ['catalog.events'] } });
    const { resources } = synth();
    expect(find(resources, 'ConsumerGroup', 'search-indexer')).toHaveLength(1);
    expect(find(resources, 'Topic').map((t) => t.spec?.topicName)).toEqual(['search-indexer.dlq']);
  });

  it("emits a producer's Topics with the cluster's durability, and admits it to Kafka", () => {
    const { kafka, declare, synth } = setup();
    declare({
      name: 'teachers',
      http: true,
      kafka,
      produces: [
        { topicName: 'teachers.events', config: { 'cleanup.policy': 'delete' } },
        { topicName: 'teachers.audit', partitions: 2 },
      ],
    });
    const { workloads, resources } = synth();
    expect(find(resources, 'Topic').map((t) => [t.metadata.name, t.spec])).toEqual([
      [
        'teachers-events',
        {
          topicName: 'teachers.events',
          partitions: 6,
          replicationFactor: 3,
          config: { 'min.insync.replicas': '2', 'cleanup.policy': 'delete' },
          deletionPolicy: 'Retain',
        },
      ],
      [
        'teachers-audit',
        {
          topicName: 'teachers.audit',
          partitions: 2,
          replicationFactor: 3,
          config: { 'min.insync.replicas': '2' },
          deletionPolicy: 'Retain',
        },
      ],
    ]);
    expect(find(resources, 'ConsumerGroup')).toEqual([]);
    const kafkaSpec = find(workloads, 'Kafka')[0]?.spec as { kafka: { listeners: { networkPolicyPeers: unknown[] }[] } } | undefined;
    const peers = kafkaSpec?.kafka.listeners[0]?.networkPolicyPeers;
    expect(peers).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'teachers', 'app.kubernetes.io/part-of': 'eventide' } } },
    ]);
  });

  it('gives an HTTP service a Service and a NetworkPolicy admitting its clients on its port', () => {
    const { declare, synth } = setup();
    const api = declare({ name: 'identity', port: 9000, http: { from: ['teachers', 'gateway'] } });
    const { workloads, resources } = synth();

    expect(find(workloads, 'Service', 'identity')[0]?.spec).toEqual({
      selector: { 'app.kubernetes.io/name': 'identity', 'app.kubernetes.io/part-of': 'eventide' },
      ports: [{ name: 'http', port: 9000, targetPort: 'http' }],
    });
    expect(find(workloads, 'NetworkPolicy', 'identity-clients')[0]?.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'identity', 'app.kubernetes.io/part-of': 'eventide' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: ['teachers', 'gateway'].map((name) => ({
            podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'eventide' } },
          })),
          ports: [{ protocol: 'TCP', port: 9000 }],
        },
      ],
    });
    // Its callers may send what it may receive: the egress half of the same flow.
    expect(find(workloads, 'NetworkPolicy', 'identity-clients-egress')[0]?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/part-of': 'eventide' },
        matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['teachers', 'gateway'] }],
      },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'identity', 'app.kubernetes.io/part-of': 'eventide' } } }],
          ports: [{ protocol: 'TCP', port: 9000 }],
        },
      ],
    });
    expect(container(find(workloads, 'Deployment', 'identity')[0])?.ports).toEqual([{ name: 'http', containerPort: 9000 }]);
    expect(find(workloads, 'Deployment', 'identity')[0]?.spec?.replicas).toBe(1);
    expect(api.workload.service).toBeDefined();
    expect(resources).toEqual([]);
  });

  it('admits any source on the port when an HTTP service names no clients', () => {
    const { declare, synth } = setup();
    declare({ name: 'catalog', http: true });
    const policy = find(synth().workloads, 'NetworkPolicy', 'catalog-clients')[0];
    expect(policy?.spec?.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  });

  it('has no Service and no NetworkPolicy without HTTP, but still its probes on the port', () => {
    const { kafka, declare, synth } = setup();
    const consumer = declare({ name: 'search-indexer', kafka, consumes: { topics: ['catalog.events'] } });
    const { workloads } = synth();
    expect(find(workloads, 'Service')).toEqual([]);
    expect(find(workloads, 'NetworkPolicy')).toEqual([]);
    expect(consumer.workload.service).toBeUndefined();
    const probes = find(workloads, 'Deployment', 'search-indexer')[0]?.spec as {
      template: { spec: { containers: { readinessProbe: { httpGet: { path: string } } }[] } };
    };
    expect(probes.template.spec.containers[0]?.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('puts plain env in the ConfigMap and secret and field refs in the container, never a secret in the ConfigMap', () => {
    const { declare, synth } = setup();
    declare({
      name: 'ledger',
      http: true,
      env: { PGHOST: 'postgres', PGPASSWORD: { secret: 'ledger-db', key: 'password' }, POD_NAME: { field: 'metadata.name' } },
    });
    const { workloads } = synth();
    expect(find(workloads, 'ConfigMap', 'ledger')[0]?.data).toEqual({ PORT: '8080', PGHOST: 'postgres' });
    const c = container(find(workloads, 'Deployment', 'ledger')[0]);
    expect(c?.envFrom).toEqual([{ configMapRef: { name: 'ledger' } }]);
    expect(c?.env).toEqual([
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'ledger-db', key: 'password' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
  });

  it('adds a PodDisruptionBudget only when asked', () => {
    const { declare, synth } = setup();
    declare({ name: 'catalog', http: true, replicas: 2, minAvailable: 1 });
    declare({ name: 'search-api', http: true });
    const pdbs = find(synth().workloads, 'PodDisruptionBudget');
    expect(pdbs.map((p) => [p.metadata.name, p.spec?.minAvailable])).toEqual([['catalog', 1]]);
  });

  it('refuses what cannot work: Kafka resources without Kafka, fixed replicas for a consumer, a topic declared twice, env it owns', () => {
    const { kafka, declare } = setup();
    expect(() => declare({ name: 'a', produces: [{ topicName: 'a.events' }] })).toThrow(/needs kafka/);
    expect(() => declare({ name: 'b', kafka, replicas: 2, consumes: { topics: ['a.events'] } })).toThrow(/replicas belong to the operator/);
    declare({ name: 'c', kafka, produces: [{ topicName: 'c.events' }] });
    expect(() => declare({ name: 'd', kafka, produces: [{ topicName: 'c.events' }] })).toThrow(/c\.events is already declared/);
    expect(() => declare({ name: 'e', kafka, env: { KAFKA_BROKERS: 'elsewhere:9092' } })).toThrow(/KAFKA_BROKERS is set by the construct/);
    expect(() => declare({ name: 'f', env: { PORT: '1' } })).toThrow(/PORT is set by the construct/);
  });
});
