import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { type NetworkFlow, NetworkPolicies } from './network-policies.ts';

interface Policy {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { podSelector: unknown; policyTypes: string[]; ingress?: unknown[]; egress?: unknown[] };
}
const synth = (flows: NetworkFlow[], defaultDeny = false) => {
  const chart = new Chart(Testing.app(), 'test');
  new NetworkPolicies(chart, 'policies', { flows, defaultDeny });
  return Testing.synth(chart) as Policy[];
};
const pods = (name: string) => ({
  podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'eventide' } },
});

describe('NetworkPolicies', () => {
  it('writes a flow between two workloads as an ingress policy on one end and an egress policy on the other', () => {
    const policies = synth([
      { name: 'postgres-clients', from: { workloads: ['catalog'] }, to: { workloads: ['postgres'] }, ports: [{ port: 5432 }], why: 'data' },
    ]);
    expect(policies.map((p) => [p.metadata.name, p.spec])).toEqual([
      [
        'postgres-clients',
        {
          podSelector: pods('postgres').podSelector,
          policyTypes: ['Ingress'],
          ingress: [{ from: [pods('catalog')], ports: [{ protocol: 'TCP', port: 5432 }] }],
        },
      ],
      [
        'postgres-clients-egress',
        {
          podSelector: pods('catalog').podSelector,
          policyTypes: ['Egress'],
          egress: [{ to: [pods('postgres')], ports: [{ protocol: 'TCP', port: 5432 }] }],
        },
      ],
    ]);
    expect(policies[0]?.metadata.annotations).toEqual({ 'eventide.dev/flow': 'data' });
  });

  it('writes only the end in the namespace: egress to addresses and other namespaces, ingress from anywhere', () => {
    const policies = synth([
      { name: 'api', from: { workloads: ['operator'] }, to: { cidr: '10.0.0.1/32' }, ports: [{ port: 6443 }], why: 'api' },
      {
        name: 'dns',
        from: { pods: {} },
        to: { namespace: { ns: 'kube-system' }, pods: { app: 'dns' } },
        ports: [{ port: 53, protocol: 'UDP' }],
        why: 'dns',
      },
      { name: 'public', from: 'anywhere', to: { workloads: ['catalog'] }, ports: [{ port: 8080 }], why: 'api' },
    ]);
    expect(policies.map((p) => p.metadata.name)).toEqual(['api-egress', 'dns-egress', 'public']);
    expect(policies[0]?.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] }]);
    expect(policies[1]?.spec.podSelector).toEqual({});
    expect(policies[1]?.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { ns: 'kube-system' } }, podSelector: { matchLabels: { app: 'dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }],
      },
    ]);
    expect(policies[2]?.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 8080 }] }]);
  });

  it('reads a function of workloads at synth time, and leaves an ingress to its owner when asked', () => {
    const clients = ['catalog'];
    const chart = new Chart(Testing.app(), 'test');
    new NetworkPolicies(chart, 'policies', {
      flows: [
        {
          name: 'kafka',
          from: { workloads: () => clients },
          to: { pods: { kafka: 'yes' } },
          ports: [{ port: 9092 }],
          why: 'k',
          ingress: false,
        },
      ],
    });
    clients.push('identity');
    const policies = Testing.synth(chart) as Policy[];
    expect(policies.map((p) => p.metadata.name)).toEqual(['kafka-egress']);
    expect(policies[0]?.spec.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/part-of': 'eventide' },
      matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['catalog', 'identity'] }],
    });
  });

  it('denies everything by default when asked', () => {
    expect(synth([], true).map((p) => [p.metadata.name, p.spec])).toEqual([
      ['default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }],
    ]);
  });

  it('never lets an empty list of workloads mean anyone', () => {
    expect(() => synth([{ name: 'x', from: { workloads: [] }, to: { workloads: ['db'] }, ports: [], why: '' }])).toThrow(
      /at least one workload/,
    );
  });
});
