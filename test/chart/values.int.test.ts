// @needs kube
/**
 * A user's values file, end to end: `VALUES=… OUT=… node cdk8s/main.ts` (what `make synth VALUES=…`
 * runs) writes a chart in another namespace with images behind a registry, and the real
 * kube-apiserver accepts every object of it (server-side dry-run), storing each in that namespace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { strimziCrds } from '../../devkit/strimzi.ts';
import { manifests } from '../../scripts/deploy.ts';
import { repoRoot } from '../../shared/versions.ts';

const run = promisify(execFile);
const kubeconfig = inject('kubeconfig');
const kubectlPath = inject('kubectl');
const kubectl = async (...args: string[]) =>
  (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 64 * 1024 * 1024 })).stdout;

const namespace = 'shop-events';
const registry = 'registry.example.com:5000/acme';
const dir = mkdtempSync(join(tmpdir(), 'eventide-values-int-'));
const chart = join(dir, 'chart');
const file = (name: string) => join(chart, name);

beforeAll(async () => {
  const values = join(dir, 'shop.yaml');
  writeFileSync(values, `name: shop\nnamespace: ${namespace}\nimages: { registry: "${registry}", tag: "1.0.0" }\n`);
  const { stdout } = await run(process.execPath, ['cdk8s/main.ts'], { cwd: repoRoot, env: { ...process.env, VALUES: values, OUT: chart } });
  expect(stdout).toContain('synthesized shop into');
  await kubectl('apply', '--server-side', '-f', file('00-crds.yaml'));
  for (const crd of await strimziCrds()) await kubectl('apply', '--server-side', '-f', crd);
  await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/topics.eventide.dev', 'crd/kafkas.kafka.strimzi.io');
  // The namespace for real (a dry-run cannot put objects in a namespace that does not exist yet).
  const ns = manifests(file('10-platform.yaml')).find((m) => m.kind === 'Namespace');
  const namespaceFile = join(dir, 'namespace.json');
  writeFileSync(namespaceFile, JSON.stringify(ns));
  await kubectl('apply', '--server-side', '-f', namespaceFile);
}, 300_000);
afterAll(async () => {
  await kubectl('delete', 'namespace', namespace, '--wait=false', '--ignore-not-found').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Stored {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { image: string }[] } } };
}

it('the chart of a values file with its own namespace and registry passes a server-side dry-run', async () => {
  const files = ['00-crds.yaml', '10-platform.yaml', '20-platform-resources.yaml'].map(file);
  const stored = JSON.parse(
    await kubectl('apply', '--server-side', '--dry-run=server', '-o', 'json', ...files.flatMap((f) => ['-f', f])),
  ) as { items: Stored[] };
  const objects = stored.items;
  expect(objects.length).toBe(files.flatMap((f) => manifests(f)).length);
  const clusterScoped = ['CustomResourceDefinition', 'Namespace'];
  for (const object of objects.filter((o) => !clusterScoped.includes(o.kind)))
    expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(namespace);
  const images = objects
    .flatMap((o) => o.spec?.template?.spec?.containers?.map((c) => c.image) ?? [])
    .filter((i) => i.includes('eventide/'));
  expect(images.length).toBeGreaterThan(5);
  for (const image of images) expect(image).toMatch(/^registry\.example\.com:5000\/acme\/eventide\/[a-z-]+:1\.0\.0$/);
  expect(objects.filter((o) => o.kind === 'Topic').length).toBeGreaterThan(3);
});
