import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labels, namespace, selectorLabels } from './labels.ts';

export interface BackendAccess {
  /** The backend's workload name (its pods carry selectorLabels(name)). */
  backend: string;
  port: number;
  /** Workloads allowed to reach it. Default: any source (the policy then only closes the other ports). */
  clients?: string[];
  /** Extra ports the backend's own pods use among themselves (cluster transport). */
  peerPorts?: number[];
}

/**
 * Ingress to each backend (or service) only from the workloads that need it. Kafka is left to Strimzi, which
 * writes its NetworkPolicy from the listener's networkPolicyPeers.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, rules: BackendAccess[]) {
    super(scope, id);
    for (const rule of rules) {
      // An empty `from` admits every source in Kubernetes: never let "no clients" mean "anyone".
      if (rule.clients?.length === 0) throw new Error(`${rule.backend}: name at least one client, or leave clients out for any source`);
      const ingress: k8s.NetworkPolicyIngressRule[] = [
        {
          from: rule.clients?.map((client) => ({ podSelector: { matchLabels: selectorLabels(client) } })),
          ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(rule.port) }],
        },
      ];
      if (rule.peerPorts?.length) {
        ingress.push({
          from: [{ podSelector: { matchLabels: selectorLabels(rule.backend) } }],
          ports: rule.peerPorts.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) })),
        });
      }
      new k8s.KubeNetworkPolicy(this, rule.backend, {
        metadata: { name: `${rule.backend}-clients`, namespace, labels: labels(rule.backend, 'network-policy') },
        spec: { podSelector: { matchLabels: selectorLabels(rule.backend) }, policyTypes: ['Ingress'], ingress },
      });
    }
  }
}
