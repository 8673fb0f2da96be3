import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { deadLetterTopic } from '../lib/consumer/dead-letter.ts';
import type { ContainerResources, EnvValue } from '../lib/service-manifest.ts';
import { ConsumerGroup, type ConsumerScaling } from './consumer-group.ts';
import type { KafkaCluster } from './kafka.ts';
import { namespaceOf, selectorLabels } from './labels.ts';
import { NetworkPolicies } from './network-policies.ts';
import { Topic, type TopicProps } from './topic.ts';
import { type ImagePullPolicy, type TracingExport, Workload } from './workload.ts';

/** The platform's Kafka as a service sees it. */
export interface KafkaAccess {
  /** The cluster: its bootstrap address becomes KAFKA_BROKERS, and the service is admitted to its NetworkPolicy. */
  cluster: KafkaCluster;
  /**
   * Where the service's Topic and ConsumerGroup resources go: a scope in the chart applied after the
   * CRDs are established (20-platform-resources), never the workloads' chart.
   */
  resources: Construct;
}

/** A topic the service publishes to. Replication and min.insync.replicas come from the cluster. */
export type ProducedTopic = Omit<TopicProps, 'replicationFactor' | 'minInsyncReplicas'>;

export interface ConsumesProps extends ConsumerScaling {
  /** The topics the service reads, e.g. ["catalog.events"]. */
  topics: string[];
  /** Kafka group id, given to the service as KAFKA_GROUP_ID. Default: the service's name. */
  group?: string;
  /**
   * The dead-letter topic `<group>.dlq`. Default: 1 partition, retention.ms 2419200000 (four weeks:
   * dead letters wait for a person); `config` is merged over that.
   */
  deadLetter?: { partitions?: number; config?: Record<string, string> };
}

export interface HttpProps {
  /**
   * Workloads allowed to call the service: ingress on its port (policy `<name>-clients`) and their
   * egress to it (`<name>-clients-egress`). Default: any source — a public API; the policy still
   * closes every other port.
   */
  from?: string[];
}

export interface EventDrivenServiceProps {
  /** Deployment, container, ConfigMap and (with http) Service and NetworkPolicy name, e.g. "catalog". */
  name: string;
  image: string;
  /** The bundle the container runs, e.g. ["node", "catalog.js"]. */
  command: string[];
  /** The app.kubernetes.io/component label. Default: "api" with http, else "consumer" when it consumes, else "worker". */
  component?: string;
  /**
   * Fixed replica count. Default: 1; not allowed for a consumer, whose Deployment has no replicas
   * field: the operator sets the count from the ConsumerGroup (consumes.minReplicas/maxReplicas).
   */
  replicas?: number;
  /** The container's HTTP port: /healthz, /readyz, /metrics (every service) and the API (with http). Default: 8080. */
  port?: number;
  /**
   * The service serves HTTP to others: a Service in front of the port and a NetworkPolicy admitting
   * `from`. Default: false — no Service, no policy: its port serves only probes (kubelet traffic,
   * which policies do not stop) and /metrics, which the platform opens to the metrics scrapers alone.
   */
  http?: boolean | HttpProps;
  /**
   * Environment: plain values go into the ConfigMap, `{ secret, key }` refs become secretKeyRefs,
   * `{ field }` refs fieldRefs. Default: none beyond what the construct sets itself: PORT always,
   * KAFKA_BROKERS with kafka, KAFKA_GROUP_ID when it consumes (these three cannot be given here).
   */
  env?: Record<string, EnvValue>;
  /** The platform's Kafka. Default: none (no KAFKA_BROKERS); required to produce or consume. */
  kafka?: KafkaAccess;
  /** Topics the service publishes to, emitted as Topic resources. Default: none. */
  produces?: ProducedTopic[];
  /** The service consumes: a ConsumerGroup that scales it by lag, and its dead-letter Topic. Default: it does not. */
  consumes?: ConsumesProps;
  /** Default: requests 100m CPU / 128Mi, limits 1 CPU / 256Mi. */
  resources?: ContainerResources;
  /** Default: IfNotPresent. */
  imagePullPolicy?: ImagePullPolicy;
  /** Spread replicas over nodes (production). Default: false. */
  spread?: boolean;
  /** A PodDisruptionBudget keeping this many pods through voluntary disruptions. Default: none. */
  minAvailable?: number;
  /** Send spans there (OTEL_* variables, this service's name). Default: none (tracing off). */
  tracing?: TracingExport;
}

/** Four weeks: dead letters wait for a person. */
const deadLetterRetentionMs = String(28 * 24 * 60 * 60 * 1000);

/**
 * One event-driven service, declared once: its Deployment (and Service and ingress NetworkPolicy
 * when it serves HTTP), the Topics it produces, and — when it consumes — the ConsumerGroup that
 * scales it and the group's `<group>.dlq` Topic. Workload objects go into `scope`'s chart; Topics
 * and the ConsumerGroup into `kafka.resources`, whose chart is applied after the CRDs.
 */
export class EventDrivenService extends Construct {
  readonly name: string;
  /** Whether its port serves an API to others; otherwise only its probes and /metrics. */
  readonly http: boolean;
  readonly workload: Workload;
  readonly topics: Topic[];
  readonly consumerGroup?: ConsumerGroup;
  readonly deadLetterTopic?: Topic;

  constructor(scope: Construct, id: string, props: EventDrivenServiceProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    this.name = props.name;
    const { kafka, consumes } = props;
    const produces = props.produces ?? [];
    const http = props.http === true ? {} : props.http || undefined;
    if (!kafka && (produces.length > 0 || consumes))
      throw new Error(`${props.name}: a service that produces or consumes needs kafka (its cluster and resources scope)`);
    if (consumes && props.replicas !== undefined)
      throw new Error(`${props.name}: a consumer's replicas belong to the operator; set consumes.minReplicas/maxReplicas instead`);
    const group = consumes ? (consumes.group ?? props.name) : undefined;

    const own: Record<string, EnvValue> = {
      ...(kafka
        ? kafka.cluster.connect(props.name, {
            produce: [...produces.map((t) => t.topicName), ...(group ? [deadLetterTopic(group)] : [])],
            consume: consumes && group ? { topics: consumes.topics, group } : undefined,
          })
        : {}),
      ...(group ? { KAFKA_GROUP_ID: group } : {}),
    };
    for (const key of ['PORT', ...Object.keys(own)])
      if (props.env && key in props.env) throw new Error(`${props.name}: env ${key} is set by the construct`);

    this.workload = new Workload(this, 'workload', {
      name: props.name,
      component: props.component ?? (http ? 'api' : consumes ? 'consumer' : 'worker'),
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      command: props.command,
      replicas: consumes ? undefined : (props.replicas ?? 1),
      port: props.port,
      env: { ...own, ...props.env },
      resources: props.resources,
      spread: props.spread,
      tracing: props.tracing,
      service: http !== undefined,
    });
    this.http = http !== undefined;
    if (http) {
      if (http.from?.length === 0) throw new Error(`${props.name}: name at least one caller in http.from, or leave it out for any source`);
      new NetworkPolicies(this, 'ingress', {
        flows: [
          {
            name: `${props.name}-clients`,
            from: http.from ? { workloads: http.from } : 'anywhere',
            to: { workloads: [props.name] },
            ports: [{ port: this.workload.port }],
            why: http.from
              ? `${http.from.join(', ')} call the ${props.name} API`
              : `the ${props.name} API, for any caller (its /healthz, /readyz and /metrics share the port)`,
          },
        ],
      });
    }
    if (props.minAvailable !== undefined) {
      new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: { name: props.name, namespace },
        spec: { minAvailable: k8s.IntOrString.fromNumber(props.minAvailable), selector: { matchLabels: selectorLabels(props.name) } },
      });
    }

    if (!kafka) {
      this.topics = [];
      return;
    }
    const declared = new Set(
      kafka.resources.node
        .findAll()
        .filter((c) => c instanceof Topic)
        .map((t) => t.topicName),
    );
    const names = [...produces.map((t) => t.topicName), ...(group ? [deadLetterTopic(group)] : [])];
    for (const name of names)
      if (declared.has(name)) throw new Error(`${props.name}: topic ${name} is already declared by another service`);

    const resources = new Construct(kafka.resources, props.name);
    const durability = kafka.cluster.durability;
    this.topics = produces.map((topic) => new Topic(resources, `topic-${topic.topicName}`, { ...durability, ...topic }));
    if (consumes && group) {
      this.deadLetterTopic = new Topic(resources, 'dlq', {
        ...durability,
        topicName: deadLetterTopic(group),
        partitions: consumes.deadLetter?.partitions ?? 1,
        config: { 'retention.ms': deadLetterRetentionMs, ...consumes.deadLetter?.config },
      });
      const { topics, group: _group, deadLetter: _deadLetter, ...scaling } = consumes;
      this.consumerGroup = new ConsumerGroup(resources, 'group', { ...scaling, groupId: group, topics, deployment: props.name });
    }
  }
}
