import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { labels, namespaceOf, selectorLabels } from './labels.ts';

/**
 * One end of a flow:
 * - `workloads`: the pods of these Eventide workloads in the namespace (their selectorLabels); a
 *   function is read at synth time, so clients declared later still count (Kafka's);
 * - `pods`: pods of the namespace carrying these labels (`{}`: every pod of it);
 * - `namespace`: pods in the namespaces carrying these labels, only those with `pods` when given;
 * - `cidr`: addresses outside the pod network (an ipBlock), e.g. the API server;
 * - `'anywhere'`: any source or destination.
 */
export type NetworkEndpoint =
  | { workloads: string[] | (() => string[]) }
  | { pods: Record<string, string> }
  | { namespace: Record<string, string>; pods?: Record<string, string> }
  | { cidr: string; except?: string[] }
  | 'anywhere';

export interface NetworkPort {
  port: number;
  /** Default: TCP. */
  protocol?: 'TCP' | 'UDP';
}

/** One flow the platform has: these sources may open connections to these destinations on these ports. */
export interface NetworkFlow {
  /**
   * Names its policies: the destination's ingress policy is `<name>`, the sources' egress policy
   * `<name>-egress`; each exists only when that end is pods of this namespace.
   */
  name: string;
  from: NetworkEndpoint;
  to: NetworkEndpoint;
  /** Empty: every port. */
  ports: NetworkPort[];
  /** Why the flow exists, for a reader of the cluster: the policies' eventide.dev/flow annotation. */
  why: string;
  /**
   * Write the destination's ingress policy. Default true; false where the destination's owner
   * writes it (Strimzi, from the listeners' networkPolicyPeers, for Kafka's pods).
   */
  ingress?: boolean;
}

export interface NetworkPoliciesProps {
  flows: NetworkFlow[];
  /**
   * Also a policy selecting every pod of the namespace for ingress and egress with no rule: from
   * then on a pod sends and receives only what some flow allows. Default: false.
   */
  defaultDeny?: boolean;
}

type PolicyPeer = Record<string, unknown>;

const isLocal = (end: NetworkEndpoint): end is { workloads: string[] | (() => string[]) } | { pods: Record<string, string> } =>
  end !== 'anywhere' && ('workloads' in end || ('pods' in end && !('namespace' in end)));

function workloadsOf(flow: string, end: { workloads: string[] | (() => string[]) }): string[] {
  const names = typeof end.workloads === 'function' ? end.workloads() : end.workloads;
  // An empty peer list admits everything in Kubernetes: never let "no workloads" mean "anyone".
  if (names.length === 0) throw new Error(`network flow ${flow}: name at least one workload`);
  return names;
}

/** The pods a policy applies to: one podSelector, so several workloads become an In expression. */
function podSelector(flow: string, end: NetworkEndpoint): Record<string, unknown> {
  if (end === 'anywhere' || !isLocal(end)) throw new Error(`network flow ${flow}: a policy selects pods of the namespace only`);
  // No labels: every pod of the namespace, written as the usual `{}`.
  if ('pods' in end) return Object.keys(end.pods).length > 0 ? { matchLabels: end.pods } : {};
  const names = workloadsOf(flow, end);
  if (names.length === 1) return { matchLabels: selectorLabels(names[0] as string) };
  return {
    matchLabels: { 'app.kubernetes.io/part-of': 'eventide' },
    matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: names }],
  };
}

/** The other end, as peers of a rule; undefined for anywhere (a rule without from/to admits every peer). */
function peers(flow: string, end: NetworkEndpoint): PolicyPeer[] | undefined {
  if (end === 'anywhere') return undefined;
  if ('workloads' in end) return workloadsOf(flow, end).map((name) => ({ podSelector: { matchLabels: selectorLabels(name) } }));
  if ('cidr' in end) return [{ ipBlock: { cidr: end.cidr, ...(end.except ? { except: end.except } : {}) } }];
  if ('namespace' in end)
    return [{ namespaceSelector: { matchLabels: end.namespace }, ...(end.pods ? { podSelector: { matchLabels: end.pods } } : {}) }];
  return [{ podSelector: { matchLabels: end.pods } }];
}

const portsOf = (flow: NetworkFlow) =>
  flow.ports.length > 0 ? { ports: flow.ports.map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port })) } : {};

/**
 * The namespace's NetworkPolicies as named flows: for each, an egress policy on its sources and an
 * ingress policy on its destination (where those are pods of the namespace), so a flow is allowed
 * at both ends or at neither. With defaultDeny, nothing else moves.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const policy = (name: string, flow: NetworkFlow, spec: () => Record<string, unknown>) =>
      new ApiObject(this, name, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace, labels: labels(flow.name, 'network-policy'), annotations: { 'eventide.dev/flow': flow.why } },
        // Resolved at synth time: workloads declared after this construct still count.
        spec: Lazy.any({ produce: spec }),
      });

    if (props.defaultDeny) {
      new ApiObject(this, 'default-deny', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'default-deny',
          namespace,
          labels: labels('default-deny', 'network-policy'),
          annotations: { 'eventide.dev/flow': 'nothing in or out of the namespace but the flows named by the other policies' },
        },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
    }
    for (const flow of props.flows) {
      const ingress = isLocal(flow.to) && flow.ingress !== false;
      const egress = isLocal(flow.from);
      if (!isLocal(flow.to) && !egress) throw new Error(`network flow ${flow.name}: one end must be pods of the namespace`);
      if (ingress) {
        policy(flow.name, flow, () => {
          const from = peers(flow.name, flow.from);
          return {
            podSelector: podSelector(flow.name, flow.to),
            policyTypes: ['Ingress'],
            ingress: [{ ...(from ? { from } : {}), ...portsOf(flow) }],
          };
        });
      }
      if (egress) {
        policy(`${flow.name}-egress`, flow, () => {
          const to = peers(flow.name, flow.to);
          return {
            podSelector: podSelector(flow.name, flow.from),
            policyTypes: ['Egress'],
            egress: [{ ...(to ? { to } : {}), ...portsOf(flow) }],
          };
        });
      }
    }
  }
}
