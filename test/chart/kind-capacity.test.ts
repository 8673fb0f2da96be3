/**
 * What a kind cluster running the kind profile requests — the chart's Pods, Kafka's node pool,
 * Strimzi's operator and kind's own control plane, computed from the synthesized manifests — stays
 * under what the docs say a kind cluster needs, and that under the laptop they name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { profiles } from '../../cdk8s/profile.ts';
import { formatRequests, kindClusterNeeds, kindClusterParts, laptop, sum } from '../../scripts/doctor/requests.ts';
import { repoRoot } from '../../shared/versions.ts';
import { parseObjects, synthFiles } from './synth.ts';

const GiB = 2 ** 30;
const parts = kindClusterParts([...synthFiles(profiles.kind).values()].flatMap(parseObjects));
const total = sum(parts);

describe('the kind cluster', () => {
  it('counts the Kafka node pool, Strimzi and the control plane beside the chart', () => {
    const names = parts.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['KafkaNodePool dual-role × 1', 'strimzi-cluster-operator', 'kube-apiserver', 'coredns × 2']),
    );
    expect(names).toEqual(
      expect.arrayContaining(['StatefulSet elasticsearch × 1', 'Deployment eventide-operator × 2', 'Deployment search-indexer × 1']),
    );
  });

  it(`requests at most what the docs say a kind cluster needs (${formatRequests(kindClusterNeeds)}); now ${formatRequests(total)}`, () => {
    expect(total.cpu).toBeLessThanOrEqual(kindClusterNeeds.cpu);
    expect(total.memory).toBeLessThanOrEqual(kindClusterNeeds.memory);
  });

  it(`fits the documented laptop (${laptop.cpus} CPUs, ${laptop.memory / GiB} GiB for Docker) with room for consumers to scale out`, () => {
    expect(kindClusterNeeds.cpu).toBeLessThanOrEqual(laptop.cpus * 1000 - 500);
    expect(kindClusterNeeds.memory).toBeLessThanOrEqual(laptop.memory);
  });

  it('is what docs/chart-and-kind.md says', () => {
    const docs = readFileSync(join(repoRoot, 'docs/chart-and-kind.md'), 'utf8');
    expect(docs).toContain(`${kindClusterNeeds.cpu / 1000} CPUs and ${kindClusterNeeds.memory / GiB} GiB`);
    expect(docs).toContain(`${laptop.cpus} CPUs and ${laptop.memory / GiB} GiB`);
  });
});
