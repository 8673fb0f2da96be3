/** deploy/kind-cluster.yaml agrees with what the chart and the tests assume of the cluster it makes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kind } from '../../cdk8s/profile.ts';
import { repoRoot, versions } from '../../shared/versions.ts';

interface KindConfig {
  nodes: { role: string; image: string; extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
}
const config = parse(readFileSync(join(repoRoot, 'deploy/kind-cluster.yaml'), 'utf8')) as KindConfig;

describe('deploy/kind-cluster.yaml', () => {
  it('runs the Kubernetes of versions.json, the one the chart is dry-run against', () => {
    for (const node of config.nodes) expect(node.image).toBe(`kindest/node:v${versions.kubernetes}`);
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
