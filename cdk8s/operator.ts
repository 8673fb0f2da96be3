import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { consumerGroupNames, group, topicNames } from '../operator/api/crds.ts';
import { operatorManifest } from '../operator/manifest.ts';
import type { KafkaCluster } from './kafka.ts';
import { labels, namespaceOf } from './labels.ts';
import { type ImagePullPolicy, type TracingExport, Workload } from './workload.ts';

export interface EventideOperatorProps {
  image: string;
  /** Default: IfNotPresent. */
  imagePullPolicy?: ImagePullPolicy;
  /** The cluster whose topics and groups it manages; the operator is admitted as its client. */
  kafka: KafkaCluster;
  /** Default: 2 (one leads, one waits). */
  replicas?: number;
  /** Spread replicas over nodes (production). Default: false. */
  spread?: boolean;
  /** Send reconcile spans there. Default: none (tracing off). */
  tracing?: TracingExport;
  /**
   * Where it reconciles Topics and ConsumerGroups (WATCH_NAMESPACES): a Role and RoleBinding in
   * each of these namespaces, which must exist before the chart is applied. `'all'`: a ClusterRole
   * instead, which may scale every Deployment and StatefulSet of the cluster. Default: the
   * platform's namespace only.
   */
  watchNamespaces?: string[] | 'all';
}

/**
 * The operator: a Deployment of two replicas (one leads through a Lease), its ServiceAccount, and
 * the least RBAC it needs — its own resources, scaling workloads, reading HPAs (to stay out of
 * their way), writing Events, and one Lease. No Secrets, no wildcards, and by default nothing
 * outside the namespaces it watches: a namespaced operator lists and watches per namespace, so
 * it needs no cluster-wide list even of its cluster-scoped CRDs' resources.
 */
export class EventideOperator extends Construct {
  static readonly serviceName = 'eventide-operator';
  static readonly leaseName = 'eventide-operator-leader';
  /**
   * V8's heap kept small and collected early: without a cap, Node sizes its heap from the node's
   * memory and the operator's resident memory grew to several times what it holds (bench/operator-scale:
   * 10,000 Topics hold about 60 MiB of heap).
   */
  static readonly nodeOptions = '--max-old-space-size=128 --max-semi-space-size=2';

  readonly name = EventideOperator.serviceName;
  /** Its port: /healthz, /readyz and /metrics. */
  readonly port: number;

  constructor(scope: Construct, id: string, props: EventideOperatorProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = EventideOperator.serviceName;
    const meta = { name, namespace, labels: labels(name, 'operator') };
    const read = ['get', 'list', 'watch'];

    const watch = props.watchNamespaces ?? [namespace];
    if (watch !== 'all' && watch.length === 0) throw new Error("operator: watch at least one namespace, or 'all'");
    const rules: k8s.PolicyRule[] = [
      { apiGroups: [group], resources: [topicNames.plural, consumerGroupNames.plural], verbs: [...read, 'update', 'patch'] },
      {
        apiGroups: [group],
        resources: [`${topicNames.plural}/status`, `${consumerGroupNames.plural}/status`],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: read },
      { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: read },
      { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
    ];
    const subjects = [{ kind: 'ServiceAccount', name, namespace }];

    new k8s.KubeServiceAccount(this, 'sa', { metadata: meta, automountServiceAccountToken: false });
    if (watch === 'all') {
      new k8s.KubeClusterRole(this, 'cluster-role', { metadata: { name, labels: meta.labels }, rules });
      new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
        metadata: { name, labels: meta.labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects,
      });
    } else {
      // The same rules, granted namespace by namespace: scaling anything in kube-system, or in a
      // team's namespace the platform was not given, is out of its reach.
      for (const watched of watch) {
        const where = { ...meta, namespace: watched };
        new k8s.KubeRole(this, `role-${watched}`, { metadata: where, rules });
        new k8s.KubeRoleBinding(this, `role-binding-${watched}`, {
          metadata: where,
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects,
        });
      }
    }
    // Leader election: creating a Lease cannot be limited to a name; using it can.
    new k8s.KubeRole(this, 'lease-role', {
      metadata: { ...meta, name: `${name}-leader-election` },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: [EventideOperator.leaseName],
          verbs: ['get', 'update', 'patch'],
        },
      ],
    });
    new k8s.KubeRoleBinding(this, 'lease-role-binding', {
      metadata: { ...meta, name: `${name}-leader-election` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${name}-leader-election` },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    const kafka = props.kafka.connect(name, { admin: true });
    const workload = new Workload(this, 'deployment', {
      name,
      component: 'operator',
      image: props.image,
      imagePullPolicy: props.imagePullPolicy,
      command: ['node', operatorManifest.bundle],
      replicas: props.replicas ?? 2,
      serviceAccountName: name,
      spread: props.spread,
      tracing: props.tracing,
      // Above the 256 MiB the operator stays under at 10,000 Topics and 1,000 ConsumerGroups.
      resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '1', memory: '320Mi' } },
      env: {
        ...kafka,
        NODE_OPTIONS: EventideOperator.nodeOptions,
        // Empty (cluster-wide) lists and watches across namespaces; a list, per namespace.
        ...(watch === 'all' ? {} : { WATCH_NAMESPACES: watch.join(',') }),
        LEASE_NAMESPACE: namespace,
        LEASE_NAME: EventideOperator.leaseName,
        POD_NAME: { field: 'metadata.name' },
      },
    });
    this.port = workload.port;
  }
}
