/**
 * What a profile asks the scheduler for, computed from its synthesized manifests the way the
 * scheduler adds it up, plus what runs beside the chart on a kind cluster: Strimzi's operator and
 * kind's own control plane. Pure: the caller parses the manifests.
 */

/** CPU in millicores, memory in bytes. */
export interface Requests {
  cpu: number;
  memory: number;
}

export interface Part {
  /** e.g. "Deployment catalog × 1", "kube-apiserver". */
  name: string;
  requests: Requests;
}

type Quantity = string | number | undefined;

/** "250m" → 250, "1" → 1000, 0.5 → 500. */
export function cpuMillis(quantity: Quantity): number {
  if (quantity === undefined) return 0;
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

const memoryUnits: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** "128Mi" → 134217728 bytes. */
export function memoryBytes(quantity: Quantity): number {
  if (quantity === undefined) return 0;
  const match = /^(\d+(?:\.\d+)?)([kMGT]i?|Ki)?$/.exec(String(quantity));
  const unit = memoryUnits[match?.[2] ?? ''];
  if (!match || unit === undefined) throw new Error(`cannot read the memory quantity ${quantity}`);
  return Number(match[1]) * unit;
}

interface Container {
  name: string;
  resources?: { requests?: { cpu?: Quantity; memory?: Quantity } };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
}

const of = (c: Container): Requests => ({ cpu: cpuMillis(c.resources?.requests?.cpu), memory: memoryBytes(c.resources?.requests?.memory) });
const add = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory });
const times = (r: Requests, n: number): Requests => ({ cpu: r.cpu * n, memory: r.memory * n });
export const sum = (parts: { requests: Requests }[]): Requests => parts.reduce((total, p) => add(total, p.requests), { cpu: 0, memory: 0 });

/**
 * One Pod's requests as the scheduler counts them: init containers run one at a time before the
 * others, so per resource the larger of the containers' sum and the largest init container.
 */
export function podRequests(spec: PodSpec): Requests {
  const containers = spec.containers.map(of).reduce(add, { cpu: 0, memory: 0 });
  const init = (spec.initContainers ?? []).map(of);
  return {
    cpu: Math.max(containers.cpu, ...init.map((r) => r.cpu)),
    memory: Math.max(containers.memory, ...init.map((r) => r.memory)),
  };
}

export interface ChartObject {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

/**
 * Every Pod the chart makes, at rest: a workload's fixed replicas; a Deployment without replicas at
 * the minReplicas of the ConsumerGroup that scales it (the operator's floor), else Kubernetes' 1;
 * each KafkaNodePool's nodes at the pool's resources (Strimzi 1.2.0 gives the broker's container
 * and its init container those same resources: KafkaCluster.createInitContainer).
 */
export function chartRequests(objects: ChartObject[]): Part[] {
  const floors = new Map(
    objects
      .filter((o) => o.kind === 'ConsumerGroup')
      .map((o) => {
        const spec = o.spec as { scaleTargetRef: { name: string }; minReplicas?: number };
        return [spec.scaleTargetRef.name, spec.minReplicas ?? 1] as const;
      }),
  );
  const parts: Part[] = [];
  for (const o of objects) {
    if (['Deployment', 'StatefulSet', 'Job'].includes(o.kind)) {
      const spec = o.spec as { replicas?: number; parallelism?: number; template: { spec: PodSpec } };
      const replicas = spec.replicas ?? spec.parallelism ?? floors.get(o.metadata.name) ?? 1;
      parts.push({ name: `${o.kind} ${o.metadata.name} × ${replicas}`, requests: times(podRequests(spec.template.spec), replicas) });
    }
    if (o.kind === 'KafkaNodePool') {
      const spec = o.spec as { replicas: number; resources?: Container['resources'] };
      parts.push({
        name: `KafkaNodePool ${o.metadata.name} × ${spec.replicas}`,
        requests: times(of({ name: o.metadata.name, resources: spec.resources }), spec.replicas),
      });
    }
  }
  return parts;
}

const Mi = 2 ** 20;

/**
 * Strimzi's cluster operator, which `make kind-up` installs: its Deployment's requests in
 * packaging/install/cluster-operator/060-Deployment-strimzi-cluster-operator.yaml at tag 1.2.0
 * (versions.json `strimzi`), the file the release's strimzi-cluster-operator-1.2.0.yaml carries.
 */
export const strimziOperator: Part = { name: 'strimzi-cluster-operator', requests: { cpu: 200, memory: 384 * Mi } };

/**
 * What a one-node kind cluster runs before anything is applied. kubeadm's static Pods (CPU only:
 * cmd/kubeadm/app/phases/controlplane/manifests.go ComponentResources, etcd's in
 * phases/etcd/local.go), CoreDNS's two replicas (phases/addons/dns/manifests.go, kubeadm's default
 * of two), and kind's kindnet (pkg/build/nodeimage/const_cni.go; its local-path-provisioner
 * requests nothing).
 */
export const kindControlPlane: Part[] = [
  { name: 'kube-apiserver', requests: { cpu: 250, memory: 0 } },
  { name: 'kube-controller-manager', requests: { cpu: 200, memory: 0 } },
  { name: 'kube-scheduler', requests: { cpu: 100, memory: 0 } },
  { name: 'etcd', requests: { cpu: 100, memory: 100 * Mi } },
  { name: 'coredns × 2', requests: { cpu: 200, memory: 140 * Mi } },
  { name: 'kindnet', requests: { cpu: 100, memory: 50 * Mi } },
];

/** Everything a kind cluster running the chart schedules: the chart's Pods, Strimzi's operator, kind's own. */
export const kindClusterParts = (objects: ChartObject[]): Part[] => [...chartRequests(objects), strimziOperator, ...kindControlPlane];

const GiB = 2 ** 30;

/**
 * What docs/chart-and-kind.md says a kind cluster for Eventide needs, and the laptop it names: a
 * chart test keeps the computed sum under the first and the first under the second.
 */
export const kindClusterNeeds: Requests = { cpu: 3000, memory: 5 * GiB };
export const laptop = { cpus: 4, memory: 8 * GiB };

/** "2.97 CPUs, 4.9 GiB". */
export const formatRequests = (r: Requests): string => `${(r.cpu / 1000).toFixed(2)} CPUs, ${(r.memory / GiB).toFixed(1)} GiB`;
