/**
 * The kind path's last step, run for real: `make deploy` with KUBECONFIG pointed at a fresh local
 * cluster (API server, controller manager, scheduler, the local node agent, the local servers
 * standing in for Strimzi and the StatefulSets). It must complete, leave every Topic and
 * ConsumerGroup Ready and every Eventide Deployment available, and an event written to the
 * catalog Pod must become searchable through the search-api Pod, both started from the manifests.
 * Then `make undeploy` removes it in reverse — the retained topics stay in Kafka, the volumes and
 * the namespace stay — and `make deploy` brings it back on the same cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { kafkaClient } from '../../lib/kafka.ts';
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
/** `make <target>` on this cluster: its every kubectl call names a context (kind-eventide unless told), this cluster's. */
async function make(target: string, variables: Record<string, string> = {}) {
  const context = (await cluster.kubectl('config', 'current-context')).trim();
  return run('make', ['--no-print-directory', target], {
    cwd: repoRoot,
    env: { ...process.env, ...variables, KUBECONFIG: cluster.kube.kubeconfig, KUBECTL: cluster.kube.kubectl, KUBECONTEXT: context },
    timeout: 840_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}
const makeDeploy = (variables: Record<string, string> = {}) => make('deploy', variables);
/** `make <target>`, its output logged with how long it took. */
async function logged(target: string, variables: Record<string, string> = {}): Promise<string> {
  const started = Date.now();
  const { stdout } = await make(target, variables);
  console.log(`[make ${target}] ${((Date.now() - started) / 1000).toFixed(1)} s\n${stdout}`);
  return stdout;
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

it('make undeploy removes it in reverse, keeping the retained Kafka topics, the volumes and the namespace; make deploy brings it back', {
  timeout: 900_000,
}, async () => {
  const chartTopics = manifests(join(repoRoot, 'charts/kind/20-platform-resources.yaml')).filter((m) => m.kind === 'Topic');
  const spec = (topic: (typeof chartTopics)[number]) => topic.spec as unknown as { topicName: string; deletionPolicy: string };
  const retained = chartTopics.filter((m) => spec(m).deletionPolicy === 'Retain');
  expect(retained.length).toBe(chartTopics.length);
  const names = (output: string) => output.split('\n').filter(Boolean).sort();
  const claims = names(await cluster.kubectl('-n', namespace, 'get', 'pvc', '-o', 'name'));
  // The StatefulSets' volumes (Strimzi's are Strimzi's to make, and there is no Strimzi here).
  expect(claims).toEqual(expect.arrayContaining(['persistentvolumeclaim/data-elasticsearch-0', 'persistentvolumeclaim/data-postgres-0']));

  await logged('undeploy');
  expect(names(await cluster.kubectl('-n', namespace, 'get', 'deployments,statefulsets,services,configmaps', '-o', 'name'))).toEqual([
    // The one ConfigMap Kubernetes itself writes into every namespace.
    'configmap/kube-root-ca.crt',
  ]);
  // Foreground deletion: every Pod, and its process, is gone when undeploy returns.
  expect(cluster.agent.pods()).toEqual([]);
  expect(await cluster.kubectl('get', 'crd', '-o', 'name')).not.toContain('eventide.dev');
  expect(await cluster.kubectl('get', 'namespace', namespace, '-o', 'name')).toBe(`namespace/${namespace}\n`);
  expect(names(await cluster.kubectl('-n', namespace, 'get', 'pvc', '-o', 'name'))).toEqual(claims);
  // Safe to run again: everything of it is gone already.
  expect(await logged('undeploy')).toContain('undeploy: Topics and ConsumerGroups skipped: their CRDs are gone');
  const admin = kafkaClient({ clientId: 'make-undeploy-test', brokers: [cluster.kafka.endpoint] }).admin();
  await admin.connect();
  try {
    const inKafka = await admin.listTopics();
    for (const topic of retained) expect(inKafka, `Kafka topic of Topic ${topic.metadata.name}`).toContain(spec(topic).topicName);
  } finally {
    await admin.disconnect();
  }

  await logged('deploy');
  for (const topic of (await list('topics')).items) expect(condition(topic, 'Ready'), `Topic ${topic.metadata.name}`).toBe('True');
  for (const group of (await list('consumergroups')).items)
    expect(condition(group, 'Ready'), `ConsumerGroup ${group.metadata.name}`).toBe('True');
  expect(names(await cluster.kubectl('-n', namespace, 'get', 'pvc', '-o', 'name'))).toEqual(claims);
});

it("make undeploy DELETE_VOLUMES=1 deletes the volumes too, and keeps the CRDs while another namespace's Topic needs them", {
  timeout: 600_000,
}, async () => {
  // Another team's Topic, outside the chart: deleting the CRDs would delete it.
  await cluster.kubectl('create', 'namespace', 'team-a');
  const topic = join(mkdtempSync(join(tmpdir(), 'eventide-team-a-')), 'topic.json');
  writeFileSync(
    topic,
    JSON.stringify({ apiVersion: 'eventide.dev/v1alpha1', kind: 'Topic', metadata: { name: 'orders', namespace: 'team-a' }, spec: {} }),
  );
  await cluster.kubectl('apply', '--server-side', '-f', topic);
  const stdout = await logged('undeploy', { DELETE_VOLUMES: '1' });
  expect(stdout).toContain(
    'undeploy: CRDs skipped: these resources are left, and deleting the CRDs would delete them:\ntopic.eventide.dev/orders',
  );
  expect(await cluster.kubectl('-n', namespace, 'get', 'pvc', '-o', 'name')).toBe('');
  expect(await cluster.kubectl('get', 'crd', 'topics.eventide.dev', '-o', 'name')).toBe(
    'customresourcedefinition.apiextensions.k8s.io/topics.eventide.dev\n',
  );
});
