import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/versions.ts';
import { deploySteps, imageIdAnnotation } from './deploy.ts';

const steps = deploySteps(join(repoRoot, 'charts/kind')).map((s) => s.what);
const at = (what: string) => {
  const index = steps.indexOf(what);
  if (index < 0) throw new Error(`no step "${what}" in ${steps.join(' → ')}`);
  return index;
};

describe('make deploy order', () => {
  it('applies the three chart files in order', () => {
    expect(at('CRDs')).toBeLessThan(at('CRDs established'));
    expect(at('CRDs established')).toBeLessThan(at('platform'));
    expect(at('platform')).toBeLessThan(at('Topics and ConsumerGroups'));
  });

  it('has the operator running and every Topic Ready before any consumer is awaited', () => {
    expect(at('Kafka eventide Ready')).toBeLessThan(at('eventide-operator rolled out'));
    expect(at('eventide-operator rolled out')).toBeLessThan(at('Topics and ConsumerGroups'));
    for (const topic of ['Topic catalog-events Ready', 'Topic search-indexer-dlq Ready'])
      for (const workload of ['search-indexer rolled out', 'catalog rolled out', 'search-api rolled out'])
        expect(at(topic)).toBeLessThan(at(workload));
    expect(at('search-indexer rolled out')).toBeLessThan(at('ConsumerGroup search-indexer Ready'));
  });

  it('waits for every Eventide Deployment of the chart and the StatefulSets, and not for what is not Eventide', () => {
    for (const step of ['catalog rolled out', 'search-api rolled out', 'postgres rolled out', 'elasticsearch rolled out'])
      expect(steps).toContain(step);
    expect(steps).not.toContain('kafka-ui rolled out');
  });

  it("says why a wait failed: a rollout shows its Pods' states, a Ready wait the conditions", () => {
    const all = deploySteps(join(repoRoot, 'charts/kind'));
    const rollout = all.find((s) => s.what === 'search-indexer rolled out');
    expect(rollout?.diagnose).toEqual([
      '-n',
      'eventide',
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/name=search-indexer,app.kubernetes.io/part-of=eventide',
      '-o',
      expect.stringMatching(/WAITING:.*state\.waiting\.reason/),
    ]);
    expect(all.find((s) => s.what === 'Topic catalog-events Ready')?.diagnose).toEqual([
      '-n',
      'eventide',
      'get',
      'topic/catalog-events',
      '-o',
      expect.stringMatching(/^jsonpath=.*conditions/),
    ]);
  });

  it("annotates each Eventide Deployment's Pods with the ID of the image make images built, right after the platform is applied", () => {
    const all = deploySteps(join(repoRoot, 'charts/kind'), { catalog: 'sha256:1111111111111111aaaa', operator: 'sha256:2222' });
    const patches = all.filter((s) => s.kubectl.includes('patch'));
    expect(patches.map((s) => s.what)).toEqual(['catalog runs image sha256:111111111111', 'eventide-operator runs image sha256:2222']);
    expect(patches[0]?.kubectl).toEqual([
      '-n',
      'eventide',
      'patch',
      'deployment',
      'catalog',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { template: { metadata: { annotations: { [imageIdAnnotation]: 'sha256:1111111111111111aaaa' } } } } }),
    ]);
    const platform = all.findIndex((s) => s.what === 'platform');
    expect(all.indexOf(patches[0] as (typeof all)[number])).toBe(platform + 1);
    // Without IDs (local mode, or before make images) nothing is patched.
    expect(steps.some((s) => s.includes('runs image'))).toBe(false);
  });
});
