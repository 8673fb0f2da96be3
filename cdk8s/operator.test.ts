import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { StrimziKafka } from './kafka.ts';
import { EventideOperator } from './operator.ts';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
}
const synth = (watchNamespaces?: string[] | 'all') => {
  const chart = new Chart(Testing.app(), 'test');
  new EventideOperator(chart, 'operator', { image: 'eventide/operator:1.0.0', kafka: new StrimziKafka(chart, 'kafka'), watchNamespaces });
  return Testing.synth(chart) as Manifest[];
};
const rbac = (objects: Manifest[]) =>
  objects.filter((o) => /Role/.test(o.kind)).map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`);
const watchNamespaces = (objects: Manifest[]) => objects.find((o) => o.kind === 'ConfigMap')?.data?.WATCH_NAMESPACES;

describe('EventideOperator', () => {
  it('is namespaced by default: a Role in its own namespace, and it watches that namespace only', () => {
    const objects = synth();
    expect(rbac(objects)).toEqual([
      'Role eventide/eventide-operator',
      'RoleBinding eventide/eventide-operator',
      'Role eventide/eventide-operator-leader-election',
      'RoleBinding eventide/eventide-operator-leader-election',
    ]);
    expect(watchNamespaces(objects)).toBe('eventide');
  });

  it('gets a Role and RoleBinding in each namespace it watches', () => {
    const objects = synth(['eventide', 'team-a']);
    expect(rbac(objects)).toEqual(expect.arrayContaining(['Role team-a/eventide-operator', 'RoleBinding team-a/eventide-operator']));
    expect(watchNamespaces(objects)).toBe('eventide,team-a');
  });

  it('is cluster-wide only when asked: a ClusterRole, and no namespace list', () => {
    const objects = synth('all');
    expect(rbac(objects)).toEqual(expect.arrayContaining(['ClusterRole -/eventide-operator', 'ClusterRoleBinding -/eventide-operator']));
    expect(rbac(objects)).not.toContain('Role eventide/eventide-operator');
    expect(watchNamespaces(objects)).toBeUndefined();
  });

  it('refuses to watch nothing', () => {
    expect(() => synth([])).toThrow(/at least one namespace/);
  });
});
