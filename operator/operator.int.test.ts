// @needs kube kafka
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Launched, launchProgram } from '../devkit/process.ts';
import { kafkaClient } from '../lib/kafka.ts';
import { eventually, harness, ready } from './testing/harness.ts';

const brokers = inject('kafkaBrokers');
const kubeconfig = inject('kubeconfig');
const h = harness(kubeconfig, inject('kubectl'));
const coordination = h.kc.makeApiClient(CoordinationV1Api);
const admin = kafkaClient({ clientId: 'operator-test', brokers: brokers.split(',') }).admin();
const logs = mkdtempSync(join(tmpdir(), 'eventide-operator-test-'));
const running: Launched[] = [];
let ns: string;

/** The operator as users run it: its own process, configured by environment. */
function startOperator(podName: string, leaseName: string, settings: Record<string, string> = {}): Launched {
  const proc = launchProgram('operator/main.ts', {
    name: podName,
    logDir: logs,
    env: {
      ...settings,
      KUBECONFIG: kubeconfig,
      KAFKA_BROKERS: brokers,
      POD_NAME: podName,
      LEASE_NAME: leaseName,
      LEASE_DURATION_SECONDS: '3',
      RESYNC_SECONDS: '5',
      PORT: '0',
    },
  });
  running.push(proc);
  return proc;
}
const log = (proc: Launched) => readFileSync(proc.logFile, 'utf8');
const holder = async (lease: string) =>
  (await coordination.readNamespacedLease({ name: lease, namespace: 'eventide' })).spec?.holderIdentity;
const isReady = async (name: string) => ready(await h.getTopic(ns, name))?.status === 'True';

beforeAll(async () => {
  await h.installCrds();
  await h.namespace('eventide');
  ns = await h.namespace(`operator-${randomUUID().slice(0, 8)}`);
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  await admin.disconnect();
});

describe('the operator process', () => {
  it('runs with one leader: the standby does nothing until the leader dies, then takes over', async () => {
    const lease = `lease-${randomUUID().slice(0, 8)}`;
    const a = startOperator('replica-a', lease);
    await eventually(async () => (await holder(lease)) === 'replica-a', { what: 'replica-a to hold the lease' });
    const b = startOperator('replica-b', lease);
    await eventually(async () => log(b).includes('caches synced'), { what: 'replica-b to start' });
    // A standby is ready (it can take over at once) and says on /metrics that it does not lead.
    const synced = log(b)
      .split('\n')
      .find((line) => line.includes('caches synced'));
    const standby = `http://127.0.0.1:${JSON.parse(synced as string).port}`;
    const readyz = await fetch(`${standby}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([200, 'ok']);
    expect((await fetch(`${standby}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${standby}/metrics`)).text()).toMatch(/^eventide_leader 0$/m);

    await h.applyTopic(ns, 'before-failover', { partitions: 2 });
    await eventually(() => isReady('before-failover'), { what: 'before-failover Ready' });
    expect(log(a)).toContain('"topic":"before-failover","action":"create"');
    expect(log(b)).not.toContain('before-failover');
    expect(log(b)).not.toContain('became leader');

    await a.kill();
    const t0 = Date.now();
    await eventually(async () => (await holder(lease)) === 'replica-b', { timeoutMs: 15_000, what: 'replica-b to take the lease' });
    const takeover = Date.now() - t0;
    await h.applyTopic(ns, 'after-failover', { partitions: 2 });
    await eventually(() => isReady('after-failover'), { what: 'after-failover Ready' });
    expect(log(b)).toContain('became leader');
    // The lease lasts 3 s: a standby must not need much more than that to notice it is free.
    expect(takeover).toBeLessThan(8_000);
    await b.stop();
  });

  it('converges after being killed in the middle of reconciling', async () => {
    const lease = `lease-${randomUUID().slice(0, 8)}`;
    const names = Array.from({ length: 40 }, (_, i) => `crash-${i}`);
    for (const name of names) await h.applyTopic(ns, name, { partitions: 2, config: { 'retention.ms': 3600000 } });
    // One worker and one topic per Kafka request, so the kill lands while most are still to do
    // (a hundred workers in batches made all 40 Ready before it).
    const first = startOperator('crashy', lease, { TOPIC_WORKERS: '1', KAFKA_BATCH_SIZE: '1' });
    await eventually(async () => (await Promise.all(names.slice(0, 40).map(isReady))).some(Boolean), { what: 'some Topics Ready' });
    await first.kill();
    const readyAtCrash = (await Promise.all(names.map(isReady))).filter(Boolean).length;
    startOperator('crashy', lease);
    await eventually(async () => (await Promise.all(names.map(isReady))).every(Boolean), {
      timeoutMs: 60_000,
      what: 'all 40 Ready after the restart',
    });
    const inKafka = new Set(await admin.listTopics());
    expect(names.every((n) => inKafka.has(n))).toBe(true);
    expect(readyAtCrash).toBeLessThan(40);
  });

  it('shuts down cleanly on SIGTERM and hands the lease over at once', async () => {
    const lease = `lease-${randomUUID().slice(0, 8)}`;
    const proc = startOperator('graceful', lease);
    await eventually(async () => (await holder(lease)) === 'graceful', { what: 'graceful to lead' });
    await proc.stop();
    expect(await proc.exited).toBe(0);
    expect(await holder(lease)).toBe('');
    expect(log(proc)).toContain('released the lease');
  });
});
