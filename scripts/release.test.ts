import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../shared/versions.ts';
import { manifests } from './deploy.ts';
import { releaseBundle } from './release.ts';

const kinds = (text: string) => parseAllDocuments(text).map((d) => (d.toJS() as { kind: string }).kind);

describe.each(['kind', 'production'])('the %s release files', (profile) => {
  const chartDir = join(repoRoot, 'charts', profile);
  const bundle = releaseBundle(chartDir);
  const chart = (file: string) => manifests(join(chartDir, file)).map((m) => m.kind);

  it('hold every object of the chart: CRDs and platform in one, Topics and ConsumerGroups in the other', () => {
    expect(kinds(bundle.install)).toEqual([...chart('00-crds.yaml'), ...chart('10-platform.yaml')]);
    expect(kinds(bundle.resources)).toEqual(chart('20-platform-resources.yaml'));
    expect(new Set(kinds(bundle.resources))).toEqual(new Set(['Topic', 'ConsumerGroup']));
  });

  it('apply in one command each: the install file has no resource of its own CRDs, which would fail until they are established', () => {
    const own = parseAllDocuments(bundle.install)
      .map((d) => d.toJS() as { apiVersion: string })
      .filter((m) => m.apiVersion.startsWith('eventide.dev/'));
    expect(own).toEqual([]);
    expect(bundle.install).toContain(`kubectl apply --server-side -f eventide-${profile}.yaml`);
    expect(bundle.install).toContain(`kubectl apply --server-side -f eventide-${profile}-resources.yaml`);
  });
});
