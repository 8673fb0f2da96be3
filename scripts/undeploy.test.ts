import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/versions.ts';
import { deploySteps, manifests } from './deploy.ts';
import { undeploySteps } from './undeploy.ts';

const chartDir = join(repoRoot, 'charts/kind');
const steps = undeploySteps(chartDir);
const whats = steps.map((s) => s.what);

describe('make undeploy', () => {
  it("removes deploy's three files in reverse: Topics and ConsumerGroups, then the platform, then the CRDs", () => {
    expect(whats).toEqual(['Topics and ConsumerGroups', 'platform', 'CRDs']);
    const applied = deploySteps(chartDir).filter((s) => s.kubectl[0] === 'apply');
    const files = (list: typeof steps) => list.flatMap((s) => s.kubectl.filter((a) => a.endsWith('.yaml')));
    expect(files(steps.filter((s) => s.what !== 'platform'))).toEqual(
      files(applied)
        .filter((f) => !f.endsWith('10-platform.yaml'))
        .reverse(),
    );
    for (const step of steps) expect(step.kubectl.slice(0, 2)).toEqual(['delete', '--ignore-not-found']);
  });

  it('deletes every object of the platform but the Namespace, last applied first, waiting for their Pods', () => {
    const platform = steps.find((s) => s.what === 'platform');
    expect(platform?.kubectl).toContain('--cascade=foreground');
    const items = (JSON.parse(platform?.stdin ?? '{}') as { items: { kind: string; metadata: { name: string } }[] }).items;
    const charted = manifests(join(chartDir, '10-platform.yaml'));
    expect(items.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(
      charted
        .filter((m) => m.kind !== 'Namespace')
        .map((m) => `${m.kind}/${m.metadata.name}`)
        .reverse(),
    );
    expect(items.some((m) => m.kind === 'PersistentVolumeClaim' || m.kind === 'Namespace')).toBe(false);
  });

  it("keeps the CRDs while any Topic or ConsumerGroup is left in any namespace (deleting a CRD deletes another team's too)", () => {
    expect(steps.at(-1)?.when).toMatchObject({
      kubectl: ['get', 'topics.eventide.dev,consumergroups.eventide.dev', '--all-namespaces', '-o', 'name'],
      finds: 'nothing',
    });
  });

  it('runs again after a complete undeploy: without the CRDs there are no Topics to delete, and kubectl could not read their kinds', () => {
    expect(steps[0]?.when).toMatchObject({
      kubectl: ['get', 'crd', 'topics.eventide.dev', 'consumergroups.eventide.dev', '--ignore-not-found', '-o', 'name'],
      finds: 'something',
    });
  });

  it('deletes the volumes of the StatefulSets and of Kafka only when asked (DELETE_VOLUMES=1)', () => {
    expect(whats.some((w) => w.startsWith('volumes'))).toBe(false);
    const withVolumes = undeploySteps(chartDir, { deleteVolumes: true });
    const volumes = withVolumes.filter((s) => s.what.startsWith('volumes'));
    expect(volumes.map((s) => s.kubectl.slice(-5).join(' '))).toEqual([
      '-n eventide pvc -l app.kubernetes.io/name=elasticsearch,app.kubernetes.io/part-of=eventide',
      '-n eventide pvc -l app.kubernetes.io/name=postgres,app.kubernetes.io/part-of=eventide',
      '-n eventide pvc -l strimzi.io/cluster=eventide',
    ]);
    // After the workloads that mount them, before the CRDs.
    expect(withVolumes.findIndex((s) => s.what === 'platform')).toBeLessThan(withVolumes.findIndex((s) => s.what.startsWith('volumes')));
    expect(withVolumes.at(-1)?.what).toBe('CRDs');
  });
});
