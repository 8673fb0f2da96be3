/** deploy/kind-cluster.yaml agrees with what the chart and the tests assume of the cluster it makes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kind } from '../../cdk8s/profile.ts';
import { kindNodeImage } from '../../scripts/doctor/versions.ts';
import { repoRoot, versions } from '../../shared/versions.ts';

interface KindConfig {
  nodes: { role: string; image: string; extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
}
const config = parse(readFileSync(join(repoRoot, 'deploy/kind-cluster.yaml'), 'utf8')) as KindConfig;

describe('deploy/kind-cluster.yaml', () => {
  it('pins each node image by tag and digest, as kind release notes list them', () => {
    for (const node of config.nodes) expect(node.image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
  });

  it('runs the Kubernetes minor the chart is dry-run against (a patch release differs in no API)', () => {
    const minor = (version: string) => version.split('.').slice(0, 2).join('.');
    for (const node of config.nodes) {
      const image = kindNodeImage(node.image);
      expect(minor(image.kubernetes)).toBe(minor(versions.kubernetes));
    }
  });

  it('names the kind release that ships the node image as the minimum kind', () => {
    expect(versions.kind).toMatch(/^\d+\.\d+\.\d+$/);
    // The release notes of kind v0.33.0 list kindest/node:v1.37.0 with this digest (see the file's comment).
    expect(config.nodes.map((n) => n.image)).toContain(
      'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5',
    );
    expect(versions.kind).toBe('0.33.0');
  });

  it("maps the kind profile's external Kafka ports to the host", () => {
    const external = kind.kafka.external;
    if (!external) throw new Error('the kind profile has no external Kafka listener');
    const wanted = [external.bootstrap, ...external.brokers].map((p) => ({ containerPort: p.nodePort, hostPort: p.hostPort }));
    const mapped = config.nodes
      .flatMap((n) => n.extraPortMappings ?? [])
      .map(({ containerPort, hostPort }) => ({ containerPort, hostPort }));
    expect(mapped).toEqual(wanted);
  });
});
