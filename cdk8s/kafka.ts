import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvValue } from '../lib/service-manifest.ts';
import { versions } from '../shared/versions.ts';
import { namespaceOf, selectorLabels } from './labels.ts';
import type { TopicDurability } from './topic.ts';

/** What a workload may do on Kafka: with authentication on, exactly these ACLs and nothing else. */
export interface KafkaAcl {
  /** Topics it writes. */
  produce?: string[];
  /** Topics it reads, as members of this group. */
  consume?: { topics: string[]; group: string };
  /** Creates, alters and deletes any topic and reads any group's offsets (the operator). */
  admin?: boolean;
  /** Describes any topic and any group, and changes nothing (the console). */
  describe?: boolean;
  /**
   * Reads these dead-letter topics through throwaway groups named with this prefix (deleted after
   * each read) and writes their records back to the topics they came from (the console's redrive).
   */
  redrive?: { deadLetterTopics: string[]; targets: string[]; readerGroupPrefix: string };
  /** Reads these topics (their latest records) through the same throwaway groups (the console's topic pages). */
  read?: string[];
}

/** What a workload needs of the platform's Kafka: where it is, how topics are made durable, and admission. */
export interface KafkaCluster {
  /** The bootstrap address of the listener workloads use, host:port. */
  readonly bootstrap: string;
  readonly durability: TopicDurability;
  /** Whether clients must use TLS and SCRAM-SHA-512 (a KafkaUser each). */
  readonly authenticated: boolean;
  /** Let this workload's pods reach the brokers (Kafka's NetworkPolicy admits only its clients). */
  allowClient(workload: string): void;
  /** The workloads admitted so far: call it at synth time (Lazy) to see every one. */
  clientWorkloads(): string[];
  /** The brokers' pods and the port of the listener clients use, for the clients' egress policy. */
  readonly brokerPods: { labels: Record<string, string>; port: number };
  /**
   * Admits the workload and returns its Kafka env (KAFKA_BROKERS; with authentication also its
   * SCRAM user, the password from the Secret Strimzi writes for it, and the cluster CA), declaring
   * its KafkaUser with `acl`.
   */
  connect(workload: string, acl: KafkaAcl): Record<string, EnvValue>;
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
  /**
   * Clients connect over TLS with SCRAM-SHA-512, each as its own KafkaUser with least ACLs
   * (Strimzi's User Operator writes their passwords into Secrets). Default false: a plain listener.
   */
  authentication?: boolean;
}

const strimziApi = 'kafka.strimzi.io/v1';

/**
 * A Strimzi `Kafka` cluster in KRaft mode with its `KafkaNodePool`s. Eventide's own operator owns
 * topics, so the Entity Operator runs only its User Operator, and only with authentication on.
 */
export class StrimziKafka extends Construct implements KafkaCluster {
  static readonly clusterName = 'eventide';
  /** Labels Strimzi puts on every pod of the cluster: brokers, controllers and the entity operator. */
  static readonly podLabels = { 'strimzi.io/cluster': StrimziKafka.clusterName };

  /** The Secret Strimzi keeps the cluster CA's certificate in (key ca.crt). */
  static readonly clusterCaSecret = `${StrimziKafka.clusterName}-cluster-ca-cert`;

  readonly bootstrap: string;
  readonly durability: TopicDurability;
  readonly authenticated: boolean;
  readonly brokerPods: { labels: Record<string, string>; port: number };
  private readonly clients: string[];

  constructor(scope: Construct, id: string, props: StrimziKafkaProps = {}) {
    super(scope, id);
    const namespace = namespaceOf(this);
    this.clients = [...(props.clients ?? [])];
    this.authenticated = props.authentication ?? false;
    this.bootstrap = `${StrimziKafka.clusterName}-kafka-bootstrap.${namespace}.svc:${this.authenticated ? 9093 : 9092}`;
    this.durability = { replicationFactor: props.replicationFactor ?? 1, minInsyncReplicas: props.minInsyncReplicas ?? 1 };
    // Every pod of the Kafka resource carries these (Strimzi's own labels); the port narrows it to the brokers' listener.
    this.brokerPods = { labels: StrimziKafka.podLabels, port: this.authenticated ? 9093 : 9092 };
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
          ...(this.authenticated ? { authorization: { type: 'simple' } } : {}),
          listeners: [
            {
              ...(this.authenticated
                ? { name: 'tls', port: 9093, tls: true, authentication: { type: 'scram-sha-512' } }
                : { name: 'plain', port: 9092, tls: false }),
              type: 'internal',
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
        ...(this.authenticated ? { entityOperator: { userOperator: {} } } : {}),
      },
    });
  }

  connect(workload: string, acl: KafkaAcl): Record<string, EnvValue> {
    this.allowClient(workload);
    if (!this.authenticated) return { KAFKA_BROKERS: this.bootstrap };
    const allow = (type: string, name: string, operations: string[]) => ({ resource: { type, name, patternType: 'literal' }, operations });
    const acls = [
      ...(acl.produce ?? []).map((topic) => allow('topic', topic, ['Write', 'Describe'])),
      ...(acl.consume?.topics ?? []).map((topic) => allow('topic', topic, ['Read', 'Describe'])),
      ...(acl.consume ? [allow('group', acl.consume.group, ['Read'])] : []),
      ...(acl.admin
        ? [
            allow('topic', '*', ['Create', 'Describe', 'DescribeConfigs', 'Alter', 'AlterConfigs', 'Delete']),
            allow('group', '*', ['Describe']),
            { resource: { type: 'cluster' }, operations: ['Describe'] },
          ]
        : []),
      ...(acl.describe ? [allow('topic', '*', ['Describe']), allow('group', '*', ['Describe'])] : []),
      ...(acl.redrive
        ? [
            ...acl.redrive.deadLetterTopics.map((topic) => allow('topic', topic, ['Read', 'Describe'])),
            ...acl.redrive.targets.map((topic) =>
              allow('topic', topic, [...(acl.read?.includes(topic) ? ['Read'] : []), 'Write', 'Describe']),
            ),
            ...(acl.read ?? [])
              .filter((topic) => !acl.redrive?.targets.includes(topic))
              .map((topic) => allow('topic', topic, ['Read', 'Describe'])),
            {
              resource: { type: 'group', name: acl.redrive.readerGroupPrefix, patternType: 'prefix' },
              operations: ['Read', 'Describe', 'Delete'],
            },
          ]
        : []),
    ];
    new ApiObject(this, `user-${workload}`, {
      apiVersion: strimziApi,
      kind: 'KafkaUser',
      metadata: { name: workload, namespace: namespaceOf(this), labels: { 'strimzi.io/cluster': StrimziKafka.clusterName } },
      spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls } },
    });
    return {
      KAFKA_BROKERS: this.bootstrap,
      KAFKA_SASL_USERNAME: workload,
      KAFKA_SASL_PASSWORD: { secret: workload, key: 'password' },
      KAFKA_CA: { secret: StrimziKafka.clusterCaSecret, key: 'ca.crt' },
    };
  }

  allowClient(workload: string): void {
    if (!this.clients.includes(workload)) this.clients.push(workload);
  }

  clientWorkloads(): string[] {
    return [...this.clients];
  }
}
