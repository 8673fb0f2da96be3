// @needs kube
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../devkit/ports.ts';
import { launch } from '../../devkit/process.ts';
import { type ReplicaDeath, ReplicaSupervisor } from './replica-supervisor.ts';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const apps = kc.makeApiClient(AppsV1Api);
const namespace = `supervisor-${randomUUID().slice(0, 8)}`;
const logs = mkdtempSync(join(tmpdir(), 'eventide-supervisor-'));
const deaths: ReplicaDeath[] = [];
// Replica 0 dies on its own with code 3 soon after it starts; the others run until stopped.
const program = (id: number) => (id === 0 ? 'setTimeout(() => process.exit(3), 300)' : 'setInterval(() => {}, 1000)');
const supervisor = new ReplicaSupervisor({
  apps,
  namespace,
  deployment: 'worker',
  freePort,
  intervalMs: 100,
  onReplicaDied: (death) => deaths.push(death),
  spawn: (id) =>
    launch({ name: `worker-${id}`, command: process.execPath, args: ['-e', program(id)], logFile: join(logs, `worker-${id}.log`) }),
});

beforeAll(async () => {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
  const labels = { app: 'worker' };
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'worker' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'worker', image: 'worker:local' }] } },
      },
    },
  });
  supervisor.start();
});
afterAll(async () => {
  await supervisor.stop();
  rmSync(logs, { recursive: true, force: true });
});

const until = async (what: string, probe: () => boolean) => {
  const deadline = Date.now() + 20_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; deaths: ${JSON.stringify(deaths)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('the replica supervisor (local mode) replacing a process that died', () => {
  it('reports the exit code and the replacement', async () => {
    await until('worker-0 to die', () => deaths.length >= 1);
    expect(deaths[0]).toMatchObject({ name: 'worker-0', exit: 3, replacement: 'worker-1' });
    expect(deaths[0]?.pid).toBeGreaterThan(0);
    expect(supervisor.list().map((r) => r.process.name)).toEqual(['worker-1']);
  });

  it('reports the signal of a killed replica, and a replica it stopped itself is no death', async () => {
    await supervisor.list()[0]?.process.kill();
    await until('worker-1 to be replaced', () => deaths.length >= 2);
    expect(deaths[1]).toMatchObject({ name: 'worker-1', exit: 'SIGKILL', replacement: 'worker-2' });
    await apps.patchNamespacedDeploymentScale({ namespace, name: 'worker', body: [{ op: 'replace', path: '/spec/replicas', value: 0 }] });
    await until('worker-2 to be stopped', () => supervisor.running === 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(deaths).toHaveLength(2);
  });
});
