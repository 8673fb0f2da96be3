// @needs kube
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { strimziCrds } from '../../devkit/strimzi.ts';

const run = promisify(execFile);
const kubeconfig = inject('kubeconfig');
const kubectlPath = inject('kubectl');
const kubectl = async (...args: string[]) => (await run(kubectlPath, ['--kubeconfig', kubeconfig, ...args])).stdout;

/** `kubectl apply --server-side -f -`, the way users apply manifests. */
function kubectlApply(manifest: object): Promise<string> {
  return new Promise((resolveApply, reject) => {
    const child = execFile(kubectlPath, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', '-'], (error, stdout, stderr) =>
      error ? reject(new Error(stderr)) : resolveApply(stdout),
    );
    child.stdin?.end(JSON.stringify(manifest));
  });
}

const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const namespace = `smoke-${randomUUID().slice(0, 8)}`;

/** The API server's own message for a rejected request. */
async function rejection(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, message: JSON.parse(error.body as string).message };
    throw error;
  }
  throw new Error('the API server accepted a request it should have rejected');
}

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.smoke.eventide.dev' },
  spec: {
    group: 'smoke.eventide.dev',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: { size: { type: 'integer', minimum: 1 }, max: { type: 'integer' }, replicas: { type: 'integer' } },
                'x-kubernetes-validations': [{ rule: 'self.size <= self.max', message: 'size must not exceed max' }],
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' } } },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});
afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
  await extensions.deleteCustomResourceDefinition({ name: widgetCrd.metadata.name }).catch(() => undefined);
});

describe('@kubernetes/client-node and kubectl against a real kube-apiserver', () => {
  it('serves the Kubernetes release the tests were built for', async () => {
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.(3[4-9]|[4-9]\d)\./);
  });

  it('creates a Deployment and scales it through deployments/scale', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      },
    });
    await apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace, body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace });
    expect(scale.spec?.replicas).toBe(4);
    const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace });
    expect(deployment.spec?.replicas).toBe(4);
  });

  it('installs a CRD with status and scale subresources, a CEL rule and printer columns', async () => {
    // Through kubectl: client-node's typed serializer knows x-kubernetes-validations only by its
    // camelCase model name and silently drops the raw key, which would leave the CEL rule out.
    await kubectlApply(widgetCrd);
    await kubectl('wait', '--for=condition=Established', '--timeout=30s', `crd/${widgetCrd.metadata.name}`);

    const widget = (name: string, spec: Record<string, number>) => ({
      apiVersion: 'smoke.eventide.dev/v1',
      kind: 'Widget',
      metadata: { name },
      spec,
    });
    const base = { group: 'smoke.eventide.dev', version: 'v1', namespace, plural: 'widgets' };
    await custom.createNamespacedCustomObject({ ...base, body: widget('good', { size: 2, max: 5, replicas: 1 }) });

    const cel = await rejection(custom.createNamespacedCustomObject({ ...base, body: widget('too-big', { size: 9, max: 5 }) }));
    expect(cel.code).toBe(422);
    expect(cel.message).toContain('size must not exceed max');
    const schema = await rejection(custom.createNamespacedCustomObject({ ...base, body: widget('too-small', { size: 0, max: 5 }) }));
    expect(schema.message).toMatch(/spec\.size: Invalid value: 0: spec\.size in body should be greater than or equal to 1/);

    await kubectl('scale', '-n', namespace, 'widget/good', '--replicas=3');
    const table = await kubectl('get', '-n', namespace, 'widgets');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+REPLICAS$/);
    expect(table).toMatch(/good\s+2\s+3\s+/);

    await custom.patchNamespacedCustomObjectStatus(
      { ...base, name: 'good', body: { status: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const scaled = (await custom.getNamespacedCustomObjectScale({ ...base, name: 'good' })) as { status: { replicas: number } };
    expect(scaled.status.replicas).toBe(3);
  });

  it('delivers watch events for changes it makes', async () => {
    const seen: string[] = [];
    const watch = new Watch(kc);
    const done = new Promise<void>((resolveDone, reject) => {
      void watch
        .watch(
          `/api/v1/namespaces/${namespace}/configmaps`,
          {},
          (type, object: { metadata: { name: string } }) => {
            seen.push(`${type} ${object.metadata.name}`);
            if (seen.includes('DELETED watched')) resolveDone();
          },
          (error) => (error ? reject(error) : undefined),
        )
        .then((request) => done.finally(() => request.abort()));
    });
    // The watch is established before the writes: wait until the server has it open.
    await new Promise((r) => setTimeout(r, 500));
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'watched' }, data: { a: '1' } } });
    await core.patchNamespacedConfigMap(
      { namespace, name: 'watched', body: { data: { a: '2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace, name: 'watched' });
    await done;
    expect(seen.filter((e) => e.endsWith(' watched'))).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  it("server-side applies a Strimzi Kafka and KafkaNodePool against Strimzi's generated CRDs", async () => {
    for (const file of await strimziCrds()) await kubectl('apply', '--server-side', '-f', file);
    await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/kafkas.kafka.strimzi.io',
      'crd/kafkanodepools.kafka.strimzi.io',
    );
    const applied = await kubectlApply({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'KafkaNodePool',
          metadata: { name: 'dual-role', namespace, labels: { 'strimzi.io/cluster': 'smoke' } },
          spec: {
            replicas: 1,
            roles: ['controller', 'broker'],
            storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size: '1Gi', kraftMetadata: 'shared' }] },
          },
        },
        {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'Kafka',
          metadata: { name: 'smoke', namespace },
          spec: { kafka: { listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false }] } },
        },
      ],
    });
    expect(applied).toContain('kafkanodepool.kafka.strimzi.io/dual-role serverside-applied');
    expect(applied).toContain('kafka.kafka.strimzi.io/smoke serverside-applied');

    // The generated schema is really enforced: a listener without a port is refused.
    const bad = await rejection(
      custom.createNamespacedCustomObject({
        group: 'kafka.strimzi.io',
        version: 'v1',
        namespace,
        plural: 'kafkas',
        body: {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'Kafka',
          metadata: { name: 'bad' },
          spec: { kafka: { listeners: [{ name: 'plain', type: 'internal', tls: false }] } },
        },
      }),
    );
    expect(bad.message).toMatch(/port: Required value/);
  });
});
