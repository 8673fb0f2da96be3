import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { readerGroupPrefix } from '../lib/dead-letter-topic.ts';
import { consumerGroupNames, group, topicNames } from '../operator/api/crds.ts';
import { consoleManifest } from '../services/console/manifest.ts';
import type { KafkaCluster } from './kafka.ts';
import { labels, namespaceOf } from './labels.ts';
import { NetworkPolicies } from './network-policies.ts';
import { identityJwksUrl } from './service-props.ts';
import { type ImagePullPolicy, type TracingExport, Workload } from './workload.ts';

export interface ConsoleProps {
  image: string;
  /** Default: IfNotPresent. */
  imagePullPolicy?: ImagePullPolicy;
  /** The cluster it shows; the console is admitted as its client, with Describe on topics and groups only. */
  kafka: KafkaCluster;
  /** identity's Service: administrators log in there, and their tokens verify with its key set. */
  identity: { name: string; port: number };
  /** Default: none (tracing off). */
  tracing?: TracingExport;
  /** Jaeger's query API, where a dead letter's trace is read. Default: none (no traces shown). */
  jaegerQueryUrl?: string;
  /** The dead-letter topics it may read and redrive, and the topics their records go back to. Default: none. */
  deadLetters?: { topics: string[]; targets: string[] };
  /** The event topics whose latest records its topic pages list (their metadata and trace). Default: none. */
  eventTopics?: string[];
}

/**
 * The platform console (services/console): one replica, its ServiceAccount with read-only rights
 * on the namespace's Topics and ConsumerGroups and nothing else; on Kafka, Describe on topics and
 * groups, and for a redrive Read on the dead-letter topics and Write on the topics they came from;
 * its port open to any caller — every API route is for platform administrators.
 */
export class Console extends Construct {
  static readonly serviceName = 'console';
  readonly name = Console.serviceName;
  readonly port: number;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = Console.serviceName;
    const meta = { name, namespace, labels: labels(name, 'console') };
    new k8s.KubeServiceAccount(this, 'sa', { metadata: meta, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'role', {
      metadata: meta,
      rules: [{ apiGroups: [group], resources: [topicNames.plural, consumerGroupNames.plural], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
    const workload = new Workload(this, 'workload', {
      name,
      component: 'console',
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      command: ['node', consoleManifest.bundle],
      replicas: 1,
      serviceAccountName: name,
      tracing: props.tracing,
      // A page one person looks at now and then.
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '192Mi' } },
      env: {
        ...props.kafka.connect(name, {
          describe: true,
          redrive: props.deadLetters && {
            deadLetterTopics: props.deadLetters.topics,
            targets: props.deadLetters.targets,
            readerGroupPrefix,
          },
          read: props.eventTopics,
        }),
        ...(props.jaegerQueryUrl ? { JAEGER_QUERY_URL: props.jaegerQueryUrl } : {}),
        IDENTITY_URL: `http://${props.identity.name}:${props.identity.port}`,
        IDENTITY_JWKS_URL: identityJwksUrl,
        WATCH_NAMESPACE: namespace,
      },
    });
    this.port = workload.port;
    new NetworkPolicies(this, 'ingress', {
      flows: [
        {
          name: `${name}-clients`,
          from: 'anywhere',
          to: { workloads: [name] },
          ports: [{ port: workload.port }],
          why: 'administrators reach the console (port-forward or an ingress); every API route asks for their token',
        },
      ],
    });
  }
}
