/**
 * The node agent against a real control plane (API server, controller manager, scheduler): a Pod
 * the scheduler binds to its node runs as a process with the env the API server's objects give it,
 * a failing liveness probe restarts it with a growing back-off, and a deleted Pod gets SIGTERM and
 * is gone once its process is.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../operator/testing/harness.ts';
import { type KubeServer, startKubeApiServer } from '../kube.ts';
import { NodeAgent } from './agent.ts';

const namespace = 'agent-test';
const dir = mkdtempSync(join(tmpdir(), 'eventide-agent-'));
let kube: KubeServer;
let agent: NodeAgent;
let core: CoreV1Api;

beforeAll(async () => {
  kube = await startKubeApiServer({ controlPlane: true });
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  agent = new NodeAgent({
    kc,
    dir,
    services: [{ service: 'elasticsearch', namespace, port: 9200, local: { host: '127.0.0.1', port: 9999 } }],
    standIns: [],
    backoff: { baseMs: 1_000, maxMs: 8_000, resetAfterMs: 600_000 },
  });
  await agent.start();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' }, data: { level: 'info' } } });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'credentials' }, stringData: { password: 'hunter2-not-logged' } },
  });
  // The controller manager creates the namespace's default ServiceAccount, without which no Pod is admitted.
  await eventually(
    async () =>
      core.readNamespacedServiceAccount({ namespace, name: 'default' }).then(
        () => true,
        () => false,
      ),
    {
      timeoutMs: 30_000,
      what: 'the default ServiceAccount',
    },
  );
}, 300_000);
afterAll(async () => {
  await agent?.stop();
  await kube?.dispose();
});

const searchApi = (extra: Partial<V1Container> = {}): V1Container => ({
  name: 'search-api',
  image: 'eventide/search:0.1.0',
  command: ['node', 'search-api.js'],
  ports: [{ name: 'http', containerPort: 8080 }],
  env: [
    { name: 'PORT', value: '8080' },
    { name: 'ELASTICSEARCH_URL', value: 'http://elasticsearch:9200' },
    { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
    { name: 'ELASTICSEARCH_PASSWORD', valueFrom: { secretKeyRef: { name: 'credentials', key: 'password' } } },
    { name: 'ELASTICSEARCH_USERNAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ],
  readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
  ...extra,
});
const createPod = (name: string, container: V1Container) =>
  core.createNamespacedPod({
    namespace,
    body: { metadata: { name }, spec: { automountServiceAccountToken: false, terminationGracePeriodSeconds: 5, containers: [container] } },
  });
const readPod = (name: string) => core.readNamespacedPod({ namespace, name }) as Promise<V1Pod>;
const ready = (pod: V1Pod) => pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe('the local node agent', () => {
  it('runs a scheduled Pod with the env its ConfigMaps, Secrets and fields give, and reports it Ready', async () => {
    await createPod('reader', searchApi());
    const pod = await eventually(
      async () => {
        const p = await readPod('reader');
        return ready(p) ? p : undefined;
      },
      { timeoutMs: 60_000, what: 'Pod reader Ready' },
    );
    expect(pod.spec?.nodeName).toBe(agent.nodeName);
    expect(pod.status?.phase).toBe('Running');
    const [running] = agent.pods().filter((p) => p.name === 'reader');
    const env = Object.fromEntries(
      readFileSync(`/proc/${running?.pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      LOG_LEVEL: 'info',
      ELASTICSEARCH_PASSWORD: 'hunter2-not-logged',
      ELASTICSEARCH_USERNAME: 'reader',
      ELASTICSEARCH_URL: 'http://127.0.0.1:9999',
      PORT: String(running?.ports.get(8080)),
    });
    // A container sees only its own env, as in a cluster: nothing of this test runner's.
    expect(Object.keys(env).sort()).toEqual([
      'ELASTICSEARCH_PASSWORD',
      'ELASTICSEARCH_URL',
      'ELASTICSEARCH_USERNAME',
      'HOME',
      'LOG_LEVEL',
      'PATH',
      'PORT',
      'TMPDIR',
    ]);
  });

  it('restarts a process whose liveness probe fails, backing off longer each time', async () => {
    await createPod(
      'sick',
      searchApi({ livenessProbe: { httpGet: { path: '/no-such-path', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } }),
    );
    const pod = await eventually(
      async () => {
        const p = await readPod('sick');
        return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? p : undefined;
      },
      { timeoutMs: 60_000, what: 'two restarts' },
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated?.reason).toBe('Error');
    const messages = new Set<string>();
    await eventually(
      async () => {
        const waiting = (await readPod('sick')).status?.containerStatuses?.[0]?.state?.waiting;
        if (waiting?.reason === 'CrashLoopBackOff') messages.add(waiting.message ?? '');
        return [...messages].some((m) => /back-off [2-8]s/.test(m));
      },
      { timeoutMs: 60_000, what: 'a longer back-off' },
    );
    expect([...messages].join(' | ')).toMatch(/liveness probe failed/);
  });

  it('sends SIGTERM to a deleted Pod and removes it once the process is gone', async () => {
    const pid = agent.pods().find((p) => p.name === 'reader')?.pid;
    expect(pid).toBeDefined();
    await core.deleteNamespacedPod({ namespace, name: 'reader' });
    await eventually(
      async () =>
        readPod('reader').then(
          () => false,
          () => true,
        ),
      { timeoutMs: 20_000, what: 'Pod reader gone' },
    );
    expect(() => process.kill(pid as number, 0)).toThrow();
    const log = readFileSync(join(dir, `${namespace}_reader.log`), 'utf8');
    expect(log).toMatch(/"reason":"SIGTERM"/);
  });
});
