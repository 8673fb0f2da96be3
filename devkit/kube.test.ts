import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, versions } from '../shared/versions.ts';
import { kubeconfigYaml, wrapperVersion } from './kube.ts';

describe('wrapperVersion', () => {
  it('reads the required version of a module', () => {
    expect(wrapperVersion('module x\n\nrequire k8s.io/kubernetes v1.37.1\n', 'k8s.io/kubernetes')).toBe('v1.37.1');
  });
  it('does not mistake a similar module name', () => {
    expect(() => wrapperVersion('require k8s.io/kubernetesX v1.0.0\n', 'k8s.io/kubernetes')).toThrow(/no 'require k8s.io\/kubernetes/);
  });
  it('matches versions.json, so the chart and the test server are the same release', () => {
    const goMod = readFileSync(join(repoRoot, 'devkit/kube/wrapper/go.mod'), 'utf8');
    expect(wrapperVersion(goMod, 'k8s.io/kubernetes')).toBe(`v${versions.kubernetes}`);
  });
});

describe('kubeconfigYaml', () => {
  it('names one cluster, one token user and makes their context current', () => {
    const config = parse(kubeconfigYaml({ server: 'https://127.0.0.1:6443', caData: 'Q0E=', token: 't0k' }));
    expect(config['current-context']).toBe('eventide-local');
    expect(config.clusters[0].cluster).toEqual({ server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' });
    expect(config.users[0].user).toEqual({ token: 't0k' });
  });
});
