/**
 * The chart's network as a CNI enforces it, for tests: the pods the chart makes (and those Strimzi
 * makes from its Kafka resource), the flows their settings say they use, and whether the
 * NetworkPolicies allow a connection — egress at the source and ingress at the destination, each
 * checked only where some policy of the kind selects the pod, as Kubernetes specifies.
 */
import type { Profile } from '../../cdk8s/profile.ts';
import type { KubeObject } from './synth.ts';

export type Labels = Record<string, string>;

/** A pod (or an address outside the pod network) that a connection starts or ends at. */
export interface Endpoint {
  /** For messages: the workload's name, or e.g. "kube-dns", "the API server". */
  name: string;
  namespace?: string;
  namespaceLabels?: Labels;
  labels?: Labels;
  /** An address outside the pod network (only ipBlock peers match it). */
  ip?: string;
  /** Named container ports (a policy may name its port). */
  ports?: Map<string, number>;
  /** The plain settings of its containers: ConfigMaps through envFrom, and env values. */
  env?: Record<string, string>;
  /** It gets a ServiceAccount token, so it talks to the API server. */
  apiClient?: boolean;
}

export interface Flow {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Where the flow comes from, e.g. "PGHOST=postgres". */
  because: string;
}

interface Selector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface Peer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PolicyPort[];
}
export interface Policy {
  name: string;
  namespace: string;
  podSelector: Selector;
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

export const describeFlow = (f: Flow) => `${f.from.name} → ${f.to.name}:${f.port}/${f.protocol} (${f.because})`;

export function selects(selector: Selector, labels: Labels = {}): boolean {
  const matched = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    matched &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      if (operator === 'In') return key in labels && values.includes(labels[key] as string);
      if (operator === 'NotIn') return !(key in labels) || !values.includes(labels[key] as string);
      if (operator === 'Exists') return key in labels;
      if (operator === 'DoesNotExist') return !(key in labels);
      throw new Error(`selector operator ${operator}`);
    })
  );
}

const ipNumber = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
export function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipNumber(ip) / size) === Math.floor(ipNumber(base) / size);
}

function peerMatches(peer: Peer, policyNamespace: string, end: Endpoint): boolean {
  if (peer.ipBlock)
    return end.ip !== undefined && inCidr(end.ip, peer.ipBlock.cidr) && !peer.ipBlock.except?.some((c) => inCidr(end.ip as string, c));
  if (end.namespace === undefined) return false;
  const namespaceOk = peer.namespaceSelector ? selects(peer.namespaceSelector, end.namespaceLabels) : end.namespace === policyNamespace;
  return namespaceOk && (peer.podSelector ? selects(peer.podSelector, end.labels) : true);
}

function portMatches(ports: PolicyPort[] | undefined, port: number, protocol: string, destination: Endpoint): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === protocol &&
      (p.port === undefined || (typeof p.port === 'number' ? p.port === port : destination.ports?.get(p.port) === port)),
  );
}

/** Whether the policies let `flow` through: egress at its source and ingress at its destination. */
export function allows(policies: Policy[], flow: Pick<Flow, 'from' | 'to' | 'port' | 'protocol'>): boolean {
  const side = (end: Endpoint, type: 'Ingress' | 'Egress', other: Endpoint) => {
    const applying = policies.filter(
      (p) => end.namespace === p.namespace && p.policyTypes.includes(type) && selects(p.podSelector, end.labels),
    );
    if (applying.length === 0) return true;
    return applying.some((p) =>
      (type === 'Ingress' ? p.ingress : p.egress)?.some((rule) => {
        const peers = type === 'Ingress' ? rule.from : rule.to;
        return (
          (peers === undefined || peers.some((peer) => peerMatches(peer, p.namespace, other))) &&
          portMatches(rule.ports, flow.port, flow.protocol, flow.to)
        );
      }),
    );
  };
  return side(flow.from, 'Egress', flow.to) && side(flow.to, 'Ingress', flow.from);
}

interface Container {
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string } }[];
}
interface PodTemplate {
  metadata: { labels: Labels };
  spec: { containers: Container[]; initContainers?: Container[]; automountServiceAccountToken?: boolean; serviceAccountName?: string };
}
interface Service {
  name: string;
  selector: Labels;
  ports: { port: number; targetPort?: number | string; protocol?: string }[];
}

const kubeSystem = { name: 'kube-dns', namespace: 'kube-system', namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' } };

/** The chart's pods, Services and policies, and Strimzi's pods and ingress policy as its operator writes them. */
export class NetworkModel {
  readonly pods: Endpoint[];
  readonly policies: Policy[];
  readonly services: Service[];
  readonly dns: Endpoint;
  readonly apiServer: Endpoint;
  readonly strimzi: { brokers: Endpoint; entityOperator?: Endpoint; bootstrap: string; ports: number[] };
  private readonly namespace: string;

  constructor(objects: KubeObject[], profile: Profile) {
    const namespaceObject = objects.find((o) => o.kind === 'Namespace');
    this.namespace = namespaceObject?.metadata.name ?? 'eventide';
    const namespaceLabels = { ...namespaceObject?.metadata.labels, 'kubernetes.io/metadata.name': this.namespace };
    const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, (o.data ?? {}) as Labels]));
    this.pods = objects
      .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
      .map((o) => {
        const template = (o.spec as { template: PodTemplate }).template;
        const containers = [...template.spec.containers, ...(template.spec.initContainers ?? [])];
        const env: Record<string, string> = {};
        for (const c of containers) {
          for (const from of c.envFrom ?? []) Object.assign(env, from.configMapRef ? configMaps.get(from.configMapRef.name) : {});
          for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
        }
        return {
          name: o.metadata.name,
          namespace: o.metadata.namespace ?? this.namespace,
          namespaceLabels,
          labels: template.metadata.labels,
          ports: new Map(containers.flatMap((c) => c.ports ?? []).flatMap((p) => (p.name ? [[p.name, p.containerPort] as const] : []))),
          env,
          apiClient: template.spec.automountServiceAccountToken !== false && template.spec.serviceAccountName !== undefined,
        };
      });
    this.services = objects
      .filter((o) => o.kind === 'Service')
      .map((o) => ({ name: o.metadata.name, ...(o.spec as Omit<Service, 'name'>) }));
    this.policies = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => ({
        name: o.metadata.name,
        namespace: o.metadata.namespace ?? this.namespace,
        ...(o.spec as Omit<Policy, 'name' | 'namespace'>),
      }));

    // Strimzi's pods carry its labels; its operator writes the brokers' ingress policy from the listeners.
    const kafka = objects.find((o) => o.kind === 'Kafka');
    const cluster = kafka?.metadata.name ?? 'eventide';
    const listeners =
      (kafka?.spec as { kafka: { listeners: { port: number; networkPolicyPeers?: Peer[] }[] } } | undefined)?.kafka.listeners ?? [];
    const strimziLabels = (name: string) => ({ 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka', 'strimzi.io/name': name });
    const brokers: Endpoint = {
      name: `${cluster}-kafka`,
      namespace: this.namespace,
      namespaceLabels,
      labels: { ...strimziLabels(`${cluster}-kafka`), 'strimzi.io/broker-role': 'true' },
      ports: new Map(),
    };
    const entityOperator: Endpoint | undefined = (kafka?.spec as { entityOperator?: unknown } | undefined)?.entityOperator
      ? {
          name: `${cluster}-entity-operator`,
          namespace: this.namespace,
          namespaceLabels,
          labels: strimziLabels(`${cluster}-entity-operator`),
        }
      : undefined;
    const ours = { podSelector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka' } } };
    this.policies.push({
      name: `${cluster}-network-policy-kafka`,
      namespace: this.namespace,
      podSelector: { matchLabels: { 'strimzi.io/cluster': cluster, 'strimzi.io/name': `${cluster}-kafka` } },
      policyTypes: ['Ingress'],
      ingress: [
        { from: [ours], ports: [{ port: 9090 }, { port: 9091 }] },
        ...listeners.map((l) => ({ ...(l.networkPolicyPeers?.length ? { from: l.networkPolicyPeers } : {}), ports: [{ port: l.port }] })),
      ],
    });
    this.strimzi = {
      brokers,
      entityOperator,
      bootstrap: `${cluster}-kafka-bootstrap`,
      ports: listeners.map((l) => l.port),
    };
    this.dns = { ...kubeSystem, labels: { 'k8s-app': 'kube-dns' } };
    this.apiServer = { name: 'the API server', ip: profile.network.apiServer.cidr.split('/')[0] };
  }

  pod(name: string): Endpoint {
    const found = this.pods.find((p) => p.name === name);
    if (!found) throw new Error(`no pod of ${name}`);
    return found;
  }

  /** A host name as a pod resolves it: a Service of the namespace (short or qualified), or Strimzi's bootstrap. */
  private resolve(host: string, port: number | undefined): { to: Endpoint; port: number }[] {
    const short = host.replace(/\.svc(\.cluster\.local)?$/, '').replace(new RegExp(`\\.${this.namespace}$`), '');
    if (short === this.strimzi.bootstrap) {
      if (port === undefined || !this.strimzi.ports.includes(port)) throw new Error(`${host}:${port} is no listener of Kafka`);
      return [{ to: this.strimzi.brokers, port }];
    }
    const service = this.services.find((s) => s.name === short);
    if (!service) throw new Error(`${host} is no Service of the chart: a destination the network model does not know`);
    const targets = this.pods.filter((p) => selects({ matchLabels: service.selector }, p.labels));
    const ports = service.ports.filter((p) => port === undefined || p.port === port);
    if (ports.length === 0) throw new Error(`Service ${service.name} has no port ${port}`);
    // A policy sees the pod's port, after the Service's targetPort.
    return targets.flatMap((to) =>
      ports.map((p) => ({
        to,
        port: typeof p.targetPort === 'string' ? (to.ports?.get(p.targetPort) ?? -1) : (p.targetPort ?? p.port),
      })),
    );
  }

  /**
   * What every pod's settings say it connects to: URLs (http://identity:8080/…), host:port lists
   * (KAFKA_BROKERS), bare hosts in …HOST/…HOSTS variables with their …PORT sibling (PGHOST,
   * discovery.seed_hosts); DNS for every pod that names a host; the API server for every pod with
   * a ServiceAccount token.
   */
  flowsFromSettings(): Flow[] {
    const flows: Flow[] = [];
    for (const pod of this.pods) {
      const env = pod.env ?? {};
      const add = (host: string, port: number | undefined, because: string) => {
        // Where a server listens (network.host=0.0.0.0), not where a connection goes.
        if (/^(0\.0\.0\.0|127\.|localhost$|::)/.test(host)) return;
        for (const target of this.resolve(host, port))
          flows.push({ from: pod, to: target.to, port: target.port, protocol: 'TCP', because });
      };
      for (const [key, value] of Object.entries(env)) {
        const because = `${key}=${value}`;
        const url = /^[a-z][a-z0-9+.-]*:\/\//.exec(value) ? new URL(value) : undefined;
        if (url) {
          add(url.hostname, Number(url.port || ({ 'http:': 80, 'https:': 443 } as Record<string, number>)[url.protocol]), because);
        } else if (/^([a-z0-9.-]+:\d+)(,[a-z0-9.-]+:\d+)*$/.test(value)) {
          for (const hostPort of value.split(',')) {
            const [host = '', port] = hostPort.split(':');
            add(host, Number(port), because);
          }
        } else if (/hosts?$/i.test(key)) {
          const sibling = env[key.replace(/hosts?$/i, (m) => (m[0] === 'H' ? 'PORT' : 'port'))];
          for (const host of value.split(',').filter(Boolean)) add(host.trim(), sibling ? Number(sibling) : undefined, because);
        }
      }
      if (flows.some((f) => f.from === pod))
        for (const protocol of ['UDP', 'TCP'] as const)
          flows.push({ from: pod, to: this.dns, port: 53, protocol, because: 'it resolves host names' });
      if (pod.apiClient)
        for (const port of [443, 6443])
          flows.push({
            from: pod,
            to: this.apiServer,
            port,
            protocol: 'TCP',
            because: 'its ServiceAccount token (the kubernetes Service is 443, DNATed to 6443)',
          });
    }
    return flows;
  }

  /** What Strimzi's pods need among themselves and of the cluster, which no setting of ours names. */
  strimziFlows(): Flow[] {
    const { brokers, entityOperator } = this.strimzi;
    const flow = (from: Endpoint, to: Endpoint, port: number, because: string, protocol: 'TCP' | 'UDP' = 'TCP'): Flow => ({
      from,
      to,
      port,
      protocol,
      because,
    });
    return [
      flow(brokers, brokers, 9090, 'KRaft controllers'),
      flow(brokers, brokers, 9091, 'replication'),
      flow(brokers, this.apiServer, 6443, "the init container reads its node's address"),
      flow(brokers, this.dns, 53, 'it resolves its peers', 'UDP'),
      ...(entityOperator
        ? [
            flow(entityOperator, brokers, 9091, 'the user operator writes ACLs'),
            flow(entityOperator, this.apiServer, 6443, 'the user operator writes Secrets'),
            flow(entityOperator, this.dns, 53, 'it resolves the brokers', 'UDP'),
          ]
        : []),
    ];
  }

  /** A pod of another namespace with these labels. */
  outsider(name: string, namespaceLabels: Labels, labels: Labels = {}): Endpoint {
    return { name, namespace: namespaceLabels['kubernetes.io/metadata.name'] ?? name, namespaceLabels, labels };
  }
}
