/**
 * Chaos on the local platform (its own servers, as `make dev` runs them): each fault strikes
 * under load, and each scenario ends with the same check — every live event in PostgreSQL is in
 * Elasticsearch at its latest version, nothing else is, and the dead-letter topic is empty.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../devkit/stats.ts';
import { type KafkaMessage, kafkaClient } from '../../lib/kafka.ts';
import { converged, describeComparison, waitForConvergence } from '../../scripts/local/convergence.ts';
import { platformCallers, type TokenSource } from '../../scripts/local/credentials.ts';
import { type LoadResult, runLoad, sampleEvent } from '../../scripts/local/load-generator.ts';
import { indexerDeployment, type LocalPlatform, namespace, startLocalPlatform } from '../../scripts/local/platform.ts';

let platform: LocalPlatform;
/** The writes' caller: the platform administrator, whose token is fetched before any fault strikes. */
let writer: TokenSource;
const figures: string[][] = [];

beforeAll(async () => {
  platform = await startLocalPlatform({
    logDir: mkdtempSync(join(tmpdir(), 'eventide-chaos-')),
    examples: false,
    env: {
      'eventide-operator': { LEASE_DURATION_SECONDS: '3' },
      // Half of what the load writes even when a busy machine slows the load to ~90 writes/s (seen
      // right after start-up), so lag passes the threshold and the operator-failover scenario scales.
      [indexerDeployment]: { MAX_RECORDS_PER_SECOND: '50' },
    },
    consumerGroup: { lagThreshold: 300, pollIntervalSeconds: 2, scaleDownStabilizationSeconds: 10 },
    backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
  });
  const servers = [platform.kafka, platform.elasticsearch, platform.postgres];
  const external = servers.filter((s) => !s.managed).map((s) => s.name);
  if (external.length > 0) throw new Error(`chaos needs servers it may kill; unset the EVENTIDE_* variables for: ${external.join(', ')}`);
  writer = platformCallers(platform.kc, platform.identity.url).admin;
  await writer();
}, 300_000);

afterAll(async () => {
  if (figures.length > 0)
    console.log(
      `\n[chaos] ${table(['scenario', 'writes acked', 'write errors', 'events (PG)', 'documents (ES)', 'DLQ', 'fault → restored', 'load end → converged'], figures)}\n`,
    );
  await platform?.stop();
}, 120_000);

const stores = () => ({
  databaseUrl: platform.databaseUrl,
  elasticsearchUrl: platform.elasticsearch.endpoint,
  brokers: platform.kafka.brokers,
});

/**
 * Load at 150 writes/s for 15 s; the fault starts 5 s in. Then waits for the stores to agree and
 * records the figures. Returns the load's result for scenario-specific checks.
 */
async function underLoad(name: string, fault: () => Promise<void>, expectDeadLettered = 0): Promise<LoadResult> {
  const loading = runLoad({
    catalogUrl: platform.catalog.url,
    token: writer,
    rate: 150,
    durationSeconds: 15,
  });
  await sleep(5_000);
  const faultAt = Date.now();
  await fault();
  const restoredAt = Date.now();
  const load = await loading;
  const { comparison, convergedAt } = await waitForConvergence(stores(), 120_000);
  figures.push([
    name,
    String(load.ok),
    load.errors > 0 ? `${load.errors} ${JSON.stringify(load.errorKinds)}` : '0',
    String(comparison.events),
    String(comparison.documents),
    String(comparison.deadLettered),
    `${((restoredAt - faultAt) / 1000).toFixed(1)} s`,
    convergedAt ? `${((convergedAt - load.endedAt) / 1000).toFixed(1)} s` : 'never',
  ]);
  console.log(`[chaos] ${name}: ${describeComparison(comparison)}`);
  expect(converged(comparison), `${name}: ${describeComparison(comparison)}`).toBe(true);
  expect(comparison.deadLettered, `${name}: the dead-letter topic`).toBe(expectDeadLettered);
  expect(comparison.events).toBeGreaterThan(0);
  // Refused writes say why and that it is temporary (503, or no answer while the catalog is down), never 500.
  expect(
    Object.keys(load.errorKinds).filter((kind) => kind !== '503' && kind !== 'network'),
    JSON.stringify(load.errorKinds),
  ).toEqual([]);
  // And the platform serves again: nothing crashed for good.
  for (const url of [platform.catalog.url, platform.searchApi.url])
    expect((await fetch(`${url}/readyz`)).status, `${url}/readyz`).toBe(200);
  await expectNewEventSearchable(name);
  return load;
}

/** The operator sees the group consuming again: members present, Ready. */
async function expectGroupConsuming(name: string): Promise<void> {
  const custom = platform.kc.makeApiClient(CustomObjectsApi);
  const deadline = Date.now() + 30_000;
  let conditions: { type: string; status: string; reason: string }[] = [];
  while (Date.now() < deadline) {
    const group = (await custom.getNamespacedCustomObject({
      group: 'eventide.dev',
      version: 'v1alpha1',
      plural: 'consumergroups',
      namespace,
      name: indexerDeployment,
    })) as { status?: { conditions?: { type: string; status: string; reason: string }[] } };
    conditions = group.status?.conditions ?? [];
    const of = (type: string) => conditions.find((c) => c.type === type);
    if (of('Consuming')?.reason === 'MembersConsuming' && of('Ready')?.status === 'True') return;
    await sleep(500);
  }
  expect(conditions, `${name}: the ConsumerGroup consumes again`).toContainEqual(
    expect.objectContaining({ type: 'Consuming', reason: 'MembersConsuming' }),
  );
}

/** Waits until the indexer Deployment runs the ConsumerGroup's minReplicas, all of them Ready. */
async function indexersAtMinimum(): Promise<void> {
  const apps = platform.kc.makeApiClient(AppsV1Api);
  const custom = platform.kc.makeApiClient(CustomObjectsApi);
  const group = (await custom.getNamespacedCustomObject({
    group: 'eventide.dev',
    version: 'v1alpha1',
    plural: 'consumergroups',
    namespace,
    name: indexerDeployment,
  })) as { spec: { minReplicas?: number } };
  const minimum = group.spec.minReplicas ?? 1;
  const deadline = Date.now() + 90_000;
  let seen = '';
  while (Date.now() < deadline) {
    const deployment = await apps.readNamespacedDeployment({ namespace, name: indexerDeployment });
    const pods = platform.agent.pods(indexerDeployment);
    seen = `spec ${deployment.spec?.replicas}, pods ${pods.length}, ready ${pods.filter((p) => p.ready).length}`;
    if (deployment.spec?.replicas === minimum && pods.length === minimum && pods.every((p) => p.ready)) return;
    await sleep(500);
  }
  throw new Error(`the indexers did not settle at ${minimum} replica(s): ${seen}`);
}

/** After the fault, a change written now still reaches search: the pipeline consumes, not only caught up. */
async function expectNewEventSearchable(name: string): Promise<void> {
  const created = await fetch(`${platform.catalog.url}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await writer()}` },
    body: JSON.stringify(sampleEvent()),
  });
  expect(created.status, `${name}: create after the fault`).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const deadline = Date.now() + 60_000;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    status = (await fetch(`${platform.searchApi.url}/api/v1/search/events/${id}`).catch(() => undefined))?.status ?? 0;
    if (status !== 200) await sleep(250);
  }
  expect(status, `${name}: an event created after the fault is searchable`).toBe(200);
}

describe('chaos under load', { timeout: 300_000 }, () => {
  it('kill -9 the operator leader: the standby takes the lease and scaling goes on', async () => {
    const apps = platform.kc.makeApiClient(AppsV1Api);
    const replicasNow = async () => (await apps.readNamespacedDeployment({ namespace, name: indexerDeployment })).spec?.replicas ?? 0;
    const before = await replicasNow();
    let leader = await platform.leader();
    for (let i = 0; i < 40 && !leader; i++) {
      await sleep(250);
      leader = await platform.leader();
    }
    const operators = platform.agent.pods('eventide-operator').map((p) => p.name);
    expect(operators, 'the leader is one of the operator Pods').toContain(leader);
    let peak = before;
    let newLeader: string | undefined;
    await underLoad('kill -9 operator leader', async () => {
      platform.killPod(leader as string);
      const deadline = Date.now() + 20_000;
      newLeader = await platform.leader();
      while (Date.now() < deadline && (newLeader === leader || newLeader === undefined)) {
        await sleep(200);
        newLeader = await platform.leader();
      }
      // Scaling goes on under the new leader: the lag this load builds must scale the indexers.
      while (Date.now() < deadline + 20_000 && peak <= before) {
        await sleep(500);
        peak = Math.max(peak, await replicasNow());
      }
    });
    expect(newLeader).toBeDefined();
    expect(newLeader).not.toBe(leader);
    expect(peak).toBeGreaterThan(before);
  });

  it('kill -9 the Kafka broker and restart it', async () => {
    await underLoad('kill -9 Kafka', async () => {
      await platform.kafka.kill();
      await sleep(3_000);
      await platform.kafka.start();
    });
  });

  it('kill -9 Elasticsearch and restart it', async () => {
    await underLoad('kill -9 Elasticsearch', async () => {
      await platform.elasticsearch.kill();
      await sleep(3_000);
      await platform.elasticsearch.start();
    });
  });

  it('pause the Kafka broker for 20 s (SIGSTOP, then SIGCONT)', async () => {
    await underLoad('pause Kafka 20 s', async () => {
      await platform.kafka.pause();
      await sleep(20_000);
      await platform.kafka.resume();
    });
    await expectGroupConsuming('pause Kafka 20 s');
  });

  it('pause Elasticsearch for 20 s (SIGSTOP, then SIGCONT)', async () => {
    await underLoad('pause Elasticsearch 20 s', async () => {
      await platform.elasticsearch.pause();
      await sleep(20_000);
      await platform.elasticsearch.resume();
    });
    await expectGroupConsuming('pause Elasticsearch 20 s');
  });

  it('kill -9 an indexer during a batch: the node agent restarts it', async () => {
    // A scale-down deletes not-ready Pods first, so a victim killed while the previous scenario's
    // replicas are still winding down can be removed instead of restarted (seen once in CI). Start
    // from the group's minimum: the load only scales up.
    await indexersAtMinimum();
    let restarted = false;
    let last: unknown;
    await underLoad('kill -9 an indexer', async () => {
      const [victim] = platform.agent.pods(indexerDeployment).filter((p) => p.ready);
      expect(victim).toBeDefined();
      platform.killPod(victim?.name ?? '');
      // Back-off (it may have restarted in an earlier scenario), start, rejoin and readiness: up to
      // 30 s seen on a busy machine. The time is the figure; this bound only ends a hung wait.
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && !restarted) {
        await sleep(100);
        const now = platform.agent.pods(indexerDeployment).find((p) => p.name === victim?.name);
        restarted = (now?.restarts ?? 0) > (victim?.restarts ?? 0) && now?.ready === true;
        last = now ?? 'the Pod is gone';
      }
    });
    expect(restarted, `the killed indexer, last seen: ${JSON.stringify(last)}`).toBe(true);
  });

  it('kill -9 the catalog during relay: the node agent restarts it', async () => {
    const load = await underLoad('kill -9 catalog', async () => {
      const [catalog] = platform.agent.pods('catalog');
      platform.killPod(catalog?.name ?? '');
      // Restored once the node agent has restarted it and its readiness passes again.
      const deadline = Date.now() + 30_000;
      const back = () =>
        platform.agent.pods('catalog').some((p) => p.name === catalog?.name && p.restarts > (catalog?.restarts ?? 0) && p.ready);
      while (Date.now() < deadline && !back()) await sleep(100);
    });
    // Requests in flight or sent while it was down fail; every acknowledged one is in the check above.
    expect(load.ok).toBeGreaterThan(0);
  });

  it('restart PostgreSQL', async () => {
    await underLoad('restart PostgreSQL', async () => {
      await platform.postgres.stop();
      await sleep(2_000);
      await platform.postgres.start();
    });
  });
  it('a poison message in catalog.events goes to the dead-letter topic, alone, with the reason', async () => {
    const kafka = kafkaClient({ clientId: 'chaos-poison', brokers: platform.kafka.brokers });
    const producer = kafka.producer();
    await producer.connect();
    await underLoad(
      'poison message',
      async () => {
        await producer.send({ topic: 'catalog.events', acks: -1, messages: [{ key: 'poison', value: 'not a CloudEvent' }] });
      },
      1,
    );
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: `chaos-dlq-reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'search-indexer.dlq', fromBeginning: true });
    const dead = await new Promise<KafkaMessage>((resolveMessage) => {
      void consumer.run({ eachMessage: async ({ message }) => resolveMessage(message) });
    });
    await consumer.disconnect();
    expect(dead.value?.toString()).toBe('not a CloudEvent');
    expect(dead.headers?.['dlq-reason']?.toString()).toMatch(/not a catalog change/);
    expect(dead.headers?.['dlq-topic']?.toString()).toBe('catalog.events');
  });
});
