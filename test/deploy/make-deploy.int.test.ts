/**
 * The kind path's last step, run for real: `make deploy` with KUBECONFIG pointed at a fresh local
 * cluster (API server, controller manager, scheduler, the local node agent, the local servers
 * standing in for Strimzi and the StatefulSets). It must complete, leave every Topic and
 * ConsumerGroup Ready and every Eventide Deployment available, and an event written to the
 * catalog Pod must become searchable through the search-api Pod, both started from the manifests.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { manifests } from '../../scripts/deploy.ts';
import { bootstrapAdminCredentials, login } from '../../scripts/local/credentials.ts';
import { sampleEvent } from '../../scripts/local/load-generator.ts';
import { type LocalCluster, namespace, startLocalCluster } from '../../scripts/local/platform.ts';
import { repoRoot } from '../../shared/versions.ts';

const run = promisify(execFile);
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster({ logDir: mkdtempSync(join(tmpdir(), 'eventide-make-deploy-')) });
}, 300_000);
afterAll(async () => cluster?.stop(), 120_000);

interface Listed {
  items: {
    metadata: { name: string };
    spec?: { template?: { spec?: { containers: { image: string }[] } }; containers?: { image: string }[] };
    status?: {
      conditions?: { type: string; status: string }[];
      availableReplicas?: number;
      phase?: string;
      containerStatuses?: { ready: boolean }[];
    };
  }[];
}
/** `make deploy` on this cluster: its every kubectl call names a context (kind-eventide unless told), this cluster's. */
async function makeDeploy(variables: Record<string, string> = {}) {
  const context = (await cluster.kubectl('config', 'current-context')).trim();
  return run('make', ['--no-print-directory', 'deploy'], {
    cwd: repoRoot,
    env: { ...process.env, ...variables, KUBECONFIG: cluster.kube.kubeconfig, KUBECTL: cluster.kube.kubectl, KUBECONTEXT: context },
    timeout: 840_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}
const list = async (kind: string) => JSON.parse(await cluster.kubectl('-n', namespace, 'get', kind, '-o', 'json')) as Listed;
const condition = (item: Listed['items'][number], type: string) => item.status?.conditions?.find((c) => c.type === type)?.status;

it('make deploy completes on a fresh cluster, and the platform it started works', { timeout: 900_000 }, async () => {
  const started = Date.now();
  const { stdout } = await makeDeploy();
  console.log(`[make deploy] ${((Date.now() - started) / 1000).toFixed(1)} s\n${stdout}`);

  const chartResources = manifests(join(repoRoot, 'charts/kind/20-platform-resources.yaml'));
  const topics = await list('topics');
  expect(topics.items.map((t) => t.metadata.name).sort()).toEqual(
    chartResources
      .filter((m) => m.kind === 'Topic')
      .map((m) => m.metadata.name)
      .sort(),
  );
  for (const topic of topics.items) expect(condition(topic, 'Ready'), `Topic ${topic.metadata.name}`).toBe('True');
  const groups = await list('consumergroups');
  expect(groups.items.length).toBe(chartResources.filter((m) => m.kind === 'ConsumerGroup').length);
  for (const group of groups.items) expect(condition(group, 'Ready'), `ConsumerGroup ${group.metadata.name}`).toBe('True');

  const eventide = (await list('deployments')).items.filter((d) =>
    d.spec?.template?.spec?.containers.some((c) => c.image.startsWith('eventide/')),
  );
  // Every Eventide Deployment of the chart, from the chart itself.
  const charted = manifests(join(repoRoot, 'charts/kind/10-platform.yaml'))
    .filter((m) => m.kind === 'Deployment' && JSON.stringify(m).includes('"image":"eventide/'))
    .map((m) => m.metadata.name)
    .sort();
  expect(charted).toEqual(
    expect.arrayContaining(['catalog', 'eventide-operator', 'identity', 'ledger', 'payments', 'search-api', 'search-indexer', 'teachers']),
  );
  expect(eventide.map((d) => d.metadata.name).sort()).toEqual(charted);
  for (const deployment of eventide) {
    expect(condition(deployment, 'Available'), `Deployment ${deployment.metadata.name}`).toBe('True');
    expect(deployment.status?.availableReplicas ?? 0).toBeGreaterThan(0);
  }
  const pods = (await list('pods')).items.filter((p) => p.spec?.containers?.some((c) => c.image.startsWith('eventide/')));
  expect(pods.length).toBeGreaterThanOrEqual(eventide.length);
  for (const pod of pods) {
    expect(pod.status?.phase, `Pod ${pod.metadata.name}`).toBe('Running');
    expect(condition(pod, 'Ready'), `Pod ${pod.metadata.name}`).toBe('True');
  }

  const catalog = await cluster.expose('catalog');
  const search = await cluster.expose('search-api');
  const identity = await cluster.expose('identity');
  // The write as an operator makes it: the bootstrap administrator of the chart's Secret logs in at identity.
  const token = await login(identity.url, await bootstrapAdminCredentials(cluster.kc));
  const name = `Deployed ${Date.now().toString(36)} evening`;
  const created = await fetch(`${catalog.url}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...sampleEvent(), name }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const deadline = Date.now() + 30_000;
  let found = false;
  while (!found && Date.now() < deadline) {
    const response = await fetch(`${search.url}/api/v1/search/events/${id}`).catch(() => undefined);
    found = response?.status === 200;
    if (!found) await sleep(250);
  }
  expect(found, `event ${id} searchable through the search-api Pod`).toBe(true);
});

it('make deploy runs again, and rolls the Pods of an image rebuilt under the same tag and only those', { timeout: 900_000 }, async () => {
  interface Deployment {
    metadata: { generation: number };
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
  }
  const get = async (name: string) =>
    JSON.parse(await cluster.kubectl('-n', namespace, 'get', 'deployment', name, '-o', 'json')) as Deployment;
  const before = { catalog: await get('catalog'), teachers: await get('teachers') };
  // What make images leaves: one <image>.id per image it built and loaded; here only catalog's was rebuilt.
  const ids = mkdtempSync(join(tmpdir(), 'eventide-image-ids-'));
  writeFileSync(join(ids, 'catalog.id'), 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n');
  const { stdout } = await makeDeploy({ IMAGE_IDS: ids });
  expect(stdout).toContain('deploy: catalog runs image sha256:0123456789ab');
  const after = { catalog: await get('catalog'), teachers: await get('teachers') };
  expect(after.catalog.spec.template.metadata.annotations?.['eventide.dev/image-id']).toMatch(/^sha256:0123/);
  expect(after.catalog.metadata.generation).toBe(before.catalog.metadata.generation + 1);
  expect(after.teachers.metadata.generation).toBe(before.teachers.metadata.generation);
  await cluster.kubectl('-n', namespace, 'rollout', 'status', 'deployment/catalog', '--timeout=300s');
});
