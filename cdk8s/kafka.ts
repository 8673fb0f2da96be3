import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { versions } from '../devkit/paths.ts';
import { namespace, selectorLabels } from './labels.ts';
import type { TopicDurability } from './topic.ts';

/** What a workload needs of the platform's Kafka: where it is, how topics are made durable, and admission. */
export interface KafkaCluster {
  /** The bootstrap address, host:port. */
  readonly bootstrap: string;
  readonly durability: TopicDurability;
  /** Let this workload's pods reach the brokers (Kafka's NetworkPolicy admits only its clients). */
  allowClient(workload: string): void;
}

/** A node port and the host port kind maps to it (extraPortMappings). */
export interface PortMapping {
  nodePort: number;
  hostPort: number;
}

/**
 * Kafka from the host: clients bootstrap at localhost:<bootstrap.hostPort> and are sent on to
 * localhost:<brokers[i].hostPort>, so nothing needs the cluster's DNS.
 */
export interface KafkaExternalAccess {
  bootstrap: PortMapping;
  /** One per broker node, in node id order. */
  brokers: PortMapping[];
}

export interface StrimziKafkaProps {
  /** Broker nodes; with `controllers` 0 they are combined broker+controller nodes (KRaft). */
  brokers?: number;
  /** Dedicated controller nodes (production); 0 for combined nodes. */
  controllers?: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
  storage?: string;
  /**
   * Workloads allowed to reach the brokers (Strimzi writes the NetworkPolicy from these). Default:
   * none; each workload that uses Kafka is added with allowClient().
   */
  clients?: string[];
  highAvailability?: boolean;
  /** A nodeport listener for clients on the host (kind); default none. */
  external?: KafkaExternalAccess;
}

const strimziApi = 'kafka.strimzi.io/v1';

/**
 * A Strimzi `Kafka` cluster in KRaft mode with its `KafkaNodePool`s. The Entity Operator is left
 * out: Eventide's own operator owns topics, and no Kafka users are managed.
 */
export class StrimziKafka extends Construct implements KafkaCluster {
  static readonly clusterName = 'eventide';
  /** The bootstrap Service Strimzi creates for the plain listener. */
  static readonly bootstrap = `${StrimziKafka.clusterName}-kafka-bootstrap.${namespace}.svc:9092`;

  readonly bootstrap = StrimziKafka.bootstrap;
  readonly durability: TopicDurability;
  private readonly clients: string[];

  constructor(scope: Construct, id: string, props: StrimziKafkaProps = {}) {
    super(scope, id);
    this.clients = [...(props.clients ?? [])];
    this.durability = { replicationFactor: props.replicationFactor ?? 1, minInsyncReplicas: props.minInsyncReplicas ?? 1 };
    const brokers = props.brokers ?? 1;
    const controllers = props.controllers ?? 0;
    const rf = props.replicationFactor ?? 1;
    const storage = props.storage ?? '2Gi';
    const pool = (name: string, replicas: number, roles: string[]) =>
      new ApiObject(this, name, {
        apiVersion: strimziApi,
        kind: 'KafkaNodePool',
        metadata: { name, namespace, labels: { 'strimzi.io/cluster': StrimziKafka.clusterName } },
        spec: {
          replicas,
          roles,
          storage: {
            type: 'jbod',
            volumes: [{ id: 0, type: 'persistent-claim', size: storage, deleteClaim: false, kraftMetadata: 'shared' }],
          },
          resources: props.highAvailability
            ? { requests: { cpu: '1', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi' } }
            : { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
          template: props.highAvailability
            ? {
                pod: {
                  affinity: {
                    podAntiAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: [
                        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'strimzi.io/pool-name': name } } },
                      ],
                    },
                  },
                },
              }
            : undefined,
        },
      });
    if (controllers > 0) {
      pool('controllers', controllers, ['controller']);
      pool('brokers', brokers, ['broker']);
    } else {
      pool('dual-role', brokers, ['controller', 'broker']);
    }

    new ApiObject(this, 'kafka', {
      apiVersion: strimziApi,
      kind: 'Kafka',
      metadata: { name: StrimziKafka.clusterName, namespace },
      spec: {
        kafka: {
          version: versions.kafka,
          listeners: [
            {
              name: 'plain',
              port: 9092,
              type: 'internal',
              tls: false,
              // Resolved at synth time: workloads declared after the cluster still get in.
              networkPolicyPeers: Lazy.any({
                produce: () => this.clients.map((client) => ({ podSelector: { matchLabels: selectorLabels(client) } })),
              }),
            },
            ...(props.external
              ? [
                  {
                    name: 'external',
                    port: 9094,
                    type: 'nodeport',
                    tls: false,
                    configuration: {
                      bootstrap: { nodePort: props.external.bootstrap.nodePort },
                      brokers: props.external.brokers.map((b, id) => ({
                        broker: id,
                        nodePort: b.nodePort,
                        advertisedHost: 'localhost',
                        advertisedPort: b.hostPort,
                      })),
                    },
                  },
                ]
              : []),
          ],
          config: {
            'offsets.topic.replication.factor': rf,
            'transaction.state.log.replication.factor': rf,
            'transaction.state.log.min.isr': props.minInsyncReplicas ?? 1,
            'default.replication.factor': rf,
            'min.insync.replicas': props.minInsyncReplicas ?? 1,
            'auto.create.topics.enable': false,
          },
        },
      },
    });
  }

  allowClient(workload: string): void {
    if (!this.clients.includes(workload)) this.clients.push(workload);
  }
}
