// @needs kube
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { strimziCrds } from '../../devkit/strimzi.ts';
import { manifests } from '../../scripts/deploy.ts';
import { repoRoot } from '../../shared/versions.ts';

const kubeconfig = inject('kubeconfig');
const kubectlPath = inject('kubectl');

async function kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = execFile(kubectlPath, ['--kubeconfig', kubeconfig, ...args], (error, stdout, stderr) =>
      resolveRun({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}
const ok = async (args: string[], stdin?: string) => {
  const result = await kubectl(args, stdin);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
};
const chart = (profile: string, file: string) => join(repoRoot, 'charts', profile, file);

beforeAll(async () => {
  await ok(['apply', '--server-side', '-f', chart('kind', '00-crds.yaml')]);
  for (const file of await strimziCrds()) await ok(['apply', '--server-side', '-f', file]);
  await ok([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/topics.eventide.dev',
    'crd/consumergroups.eventide.dev',
    'crd/kafkas.kafka.strimzi.io',
  ]);
  // Other suites share this API server and may have made the namespace already.
  await ok(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'eventide' } }));
});

describe('the chart on a real kube-apiserver', () => {
  it.each(['kind', 'production'])('the %s profile passes a server-side dry-run with zero errors', async (profile) => {
    const files = ['00-crds.yaml', '10-platform.yaml', '20-platform-resources.yaml'].map((f) => chart(profile, f));
    const result = await kubectl(['apply', '--server-side', '--dry-run=server', ...files.flatMap((f) => ['-f', f])]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(25);
    for (const line of lines) expect(line).toMatch(/serverside-applied \(server dry run\)$/);
  });

  describe('CRDs reject impossible resources with a message a person understands', () => {
    const topic = (spec: object, name = 'bad') =>
      JSON.stringify({ apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name, namespace: 'eventide' }, spec });
    const group = (spec: object) =>
      JSON.stringify({
        apiVersion: 'eventide.dev/v1alpha1',
        kind: 'ConsumerGroup',
        metadata: { name: 'bad', namespace: 'eventide' },
        spec: { topics: ['catalog.events'], scaleTargetRef: { name: 'search-indexer' }, ...spec },
      });
    it.each([
      [
        'partitions 0',
        topic({ partitions: 0 }),
        'spec.partitions: Invalid value: 0: spec.partitions in body should be greater than or equal to 1',
      ],
      [
        'an unknown deletionPolicy',
        topic({ deletionPolicy: 'Sometimes' }),
        'spec.deletionPolicy: Unsupported value: "Sometimes": supported values: "Retain", "Delete"',
      ],
      ['a topic name Kafka refuses', topic({ topicName: 'no spaces' }), 'spec.topicName in body should match'],
      ['the topic name ".."', topic({ topicName: '..' }), "topicName cannot be '.' or '..'"],
      ['minReplicas above maxReplicas', group({ minReplicas: 5, maxReplicas: 2 }), 'minReplicas must not be greater than maxReplicas'],
      [
        'a ConsumerGroup without topics',
        group({ topics: [] }),
        'spec.topics: Invalid value: 0: spec.topics in body should have at least 1 items',
      ],
    ])('%s', async (_what, manifest, message) => {
      const result = await kubectl(['create', '-f', '-'], manifest);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(message);
    });

    it('a change of topicName after creation', async () => {
      await ok(['apply', '--server-side', '-f', '-'], topic({ topicName: 'first.name' }, 'renamed'));
      const result = await kubectl(['apply', '--server-side', '-f', '-'], topic({ topicName: 'second.name' }, 'renamed'));
      expect(result.stderr).toContain('topicName is immutable: create a new Topic for a new Kafka topic');
    });
  });

  it('fills defaults and shows the printer columns', async () => {
    await ok(['apply', '--server-side', '-f', chart('kind', '20-platform-resources.yaml')]);
    await ok(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'eventide.dev/v1alpha1',
        kind: 'Topic',
        metadata: { name: 'defaults', namespace: 'eventide' },
        spec: {},
      }),
    );
    const stored = JSON.parse(await ok(['get', '-n', 'eventide', 'topic/defaults', '-o', 'json'])) as { spec: Record<string, unknown> };
    expect(stored.spec).toEqual({ partitions: 1, replicationFactor: 1, deletionPolicy: 'Retain' });
    expect((await ok(['get', '-n', 'eventide', 'topics'])).split('\n')[0]).toMatch(/^NAME\s+TOPIC\s+PARTITIONS\s+REPLICAS\s+READY\s+AGE$/);
    expect((await ok(['get', '-n', 'eventide', 'cg'])).split('\n')[0]).toMatch(/^NAME\s+GROUP\s+LAG\s+REPLICAS\s+DESIRED\s+READY\s+AGE$/);
  });

  it('explains its fields through kubectl explain', async () => {
    expect(await ok(['explain', 'topics.spec.partitions'])).toContain('Kafka cannot shrink a topic');
    expect(await ok(['explain', 'consumergroups.spec.lagThreshold'])).toContain('Target lag per replica');
  });

  describe.each(['kind', 'production'])("the %s profile's operator RBAC allows exactly what it needs, in its namespace only", (profile) => {
    const sa = 'system:serviceaccount:eventide:eventide-operator';
    const rbacKinds = ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'];
    beforeAll(async () => {
      // Only the profile's RBAC (the profiles' workloads share names), over whatever an earlier run left.
      await ok(['delete', 'clusterrole,clusterrolebinding', 'eventide-operator', '--ignore-not-found']);
      const rbac = manifests(chart(profile, '10-platform.yaml')).filter((m) => rbacKinds.includes(m.kind));
      expect(rbac.map((m) => m.kind)).not.toContain('ClusterRole');
      await ok(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rbac }));
    });
    // `auth can-i VERB RESOURCE/NAME` names an object; subresources need --subresource.
    it.each([
      ['watch topics.eventide.dev -n=eventide', 'yes'],
      ['update topics.eventide.dev --subresource=status -n=eventide', 'yes'],
      ['patch consumergroups.eventide.dev --subresource=status -n=eventide', 'yes'],
      ['patch deployments.apps --subresource=scale -n=eventide', 'yes'],
      ['update deployments.apps --subresource=scale -n=eventide', 'yes'],
      ['update statefulsets.apps --subresource=scale -n=eventide', 'yes'],
      ['list horizontalpodautoscalers.autoscaling -n=eventide', 'yes'],
      ['create events -n=eventide', 'yes'],
      ['create leases.coordination.k8s.io -n=eventide', 'yes'],
      ['update leases.coordination.k8s.io/eventide-operator-leader -n=eventide', 'yes'],
      // Namespaced: nothing outside the namespace it watches, and no list across namespaces even of its own CRDs.
      ['update deployments.apps --subresource=scale -n=kube-system', 'no'],
      ['patch statefulsets.apps --subresource=scale -n=kube-system', 'no'],
      ['update topics.eventide.dev --subresource=status -n=team-a', 'no'],
      ['watch topics.eventide.dev --all-namespaces', 'no'],
      ['list consumergroups.eventide.dev --all-namespaces', 'no'],
      ['list deployments.apps --all-namespaces', 'no'],
      ['list horizontalpodautoscalers.autoscaling --all-namespaces', 'no'],
      ['create events -n=kube-system', 'no'],
      ['update leases.coordination.k8s.io/someone-elses-lease -n=eventide', 'no'],
      ['create leases.coordination.k8s.io -n=kube-system', 'no'],
      ['get secrets -n=eventide', 'no'],
      ['list secrets --all-namespaces', 'no'],
      ['delete topics.eventide.dev -n=eventide', 'no'],
      ['update deployments.apps --subresource=status -n=eventide', 'no'],
      ['create deployments.apps -n=eventide', 'no'],
      ['update deployments.apps -n=eventide', 'no'],
      ['delete pods -n=eventide', 'no'],
      ['* * --all-namespaces', 'no'],
    ])('%s: %s', async (question, expected) => {
      const result = await kubectl(['auth', 'can-i', ...question.split(' '), `--as=${sa}`]);
      expect(result.stdout.trim()).toBe(expected);
    });
  });
});
