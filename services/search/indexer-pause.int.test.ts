/**
 * The indexer process when a dependency freezes (SIGSTOP for 20 s, then SIGCONT) under a steady
 * trickle of changes: it must end up consuming again by itself — rejoining the group, or exiting
 * non-zero so its supervisor replaces it — and the index must converge to the changes produced.
 * Its own Kafka and Elasticsearch: pausing the run's shared servers would stall other suites.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ElasticsearchServer, startElasticsearch } from '../../devkit/elasticsearch.ts';
import { createConsumerTopics, type KafkaServer, startKafka } from '../../devkit/kafka.ts';
import { type Launched, launch, logTail } from '../../devkit/process.ts';
import { type Kafka, kafkaClient } from '../../lib/kafka.ts';
import { repoRoot } from '../../shared/versions.ts';
import { type Change, toRecord } from '../catalog/events.ts';
import { publishedEvent } from '../catalog/testing/fixtures.ts';

let kafka: KafkaServer;
let elasticsearch: ElasticsearchServer;
let es: Client;
const logs = mkdtempSync(join(tmpdir(), 'eventide-indexer-pause-'));
const running: Launched[] = [];

beforeAll(async () => {
  [kafka, elasticsearch] = await Promise.all([startKafka(), startElasticsearch()]);
  if (!kafka.managed || !elasticsearch.managed)
    throw new Error('this suite pauses its servers; unset EVENTIDE_KAFKA_BROKERS/ELASTICSEARCH_URL');
  es = new Client({ node: elasticsearch.url });
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  await es?.close();
  await Promise.allSettled([kafka?.dispose(), elasticsearch?.dispose()]);
}, 120_000);

/**
 * Runs the indexer under a supervisor loop (as the kubelet or local mode would: a process that
 * exits is started again), so the test accepts both ways of recovering and counts restarts.
 */
function supervise(name: string, env: Record<string, string>) {
  let stopped = false;
  let restarts = 0;
  let current: Launched | undefined;
  const loop = (async () => {
    while (!stopped) {
      current = launch({
        name,
        command: process.execPath,
        args: [join(repoRoot, 'services/search/indexer-main.ts')],
        logFile: join(logs, `${name}.log`),
        env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
      });
      running.push(current);
      await current.exited.catch(() => undefined);
      if (!stopped) {
        restarts++;
        await sleep(500);
      }
    }
  })();
  return {
    get restarts() {
      return restarts;
    },
    async stop() {
      stopped = true;
      await current?.stop();
      await loop;
    },
  };
}

async function scenario(name: string, freeze: { pause(): Promise<void>; resume(): Promise<void> }, freezeMs = 20_000) {
  const suffix = randomUUID().slice(0, 8);
  const topic = `pause-${suffix}`;
  const groupId = `pause-indexer-${suffix}`;
  const index = `events-pause-${suffix}`;
  const client = kafkaClient({ clientId: `pause-test-${suffix}`, brokers: kafka.brokers });
  const admin = client.admin();
  await admin.connect();
  await createConsumerTopics(admin, { topic, groupId, partitions: 3 });
  await admin.disconnect();
  const indexer = supervise(`${name}-${suffix}`, {
    KAFKA_BROKERS: kafka.brokers.join(','),
    ELASTICSEARCH_URL: elasticsearch.url,
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: groupId,
    ELASTICSEARCH_INDEX: index,
  });

  // The source of truth: what was produced, entity → latest version.
  const truth = new Map<string, number>();
  let producing = true;
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const trickle = (async () => {
    let i = 0;
    while (producing) {
      const id = randomUUID();
      const change: Change = {
        id: randomUUID(),
        kind: 'created',
        entityId: id,
        version: 1,
        time: new Date(),
        data: publishedEvent(id, 1, { name: `n${i++}` }),
      };
      // A send may fail while the broker is frozen; only acknowledged changes are the truth.
      const acked = await producer
        .send({ topic, acks: -1, timeout: 5_000, messages: [toRecord(change)] })
        .then(() => true)
        .catch(() => false);
      if (acked) truth.set(id, 1);
      await sleep(40);
    }
  })();

  const indexedCount = async () => {
    await es.indices.refresh({ index }).catch(() => undefined);
    return (await es.count({ index }).catch(() => ({ count: 0 }))).count;
  };
  const deadline = Date.now() + 60_000;
  while ((await indexedCount()) === 0 && Date.now() < deadline) await sleep(250);
  expect(await indexedCount(), 'the indexer indexes before the fault').toBeGreaterThan(0);

  await freeze.pause();
  await sleep(freezeMs);
  await freeze.resume();
  // Changes keep arriving after the fault; they must become searchable too.
  await sleep(15_000);
  producing = false;
  await trickle;
  await producer.disconnect();

  const converge = Date.now() + 90_000;
  let missing = [...truth.keys()];
  while (Date.now() < converge) {
    await es.indices.refresh({ index }).catch(() => undefined);
    const found = await es.mget({ index, ids: missing }).catch(() => ({ docs: [] as { _id: string; found?: boolean }[] }));
    const present = new Set(found.docs.filter((d) => 'found' in d && d.found).map((d) => d._id));
    missing = missing.filter((id) => !present.has(id));
    if (missing.length === 0) break;
    await sleep(1_000);
  }
  await indexer.stop();
  const where = missing.length > 0 ? await locate(client, topic, new Set(missing)) : [];
  console.log(`[pause] ${name}: ${truth.size} changes produced, ${missing.length} never indexed, ${indexer.restarts} indexer restarts`);
  expect(
    missing.length,
    `${name}: changes never indexed (${where.join(', ') || 'none found in the topic'}); indexer log:\n${logTail(join(logs, `${name}-${suffix}.log`), 40)}`,
  ).toBe(0);
  return { restarts: indexer.restarts };
}

/** Where the missing changes sit in the topic (partition/offset), read back from the beginning. */
async function locate(client: Kafka, topic: string, ids: Set<string>): Promise<string[]> {
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const consumer = client.consumer({ groupId: `locate-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const found: string[] = [];
  let seen = 0;
  await new Promise<void>((done) => {
    const timer = setTimeout(done, 20_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (ids.has(message.key?.toString() ?? '')) found.push(`${partition}/${message.offset}`);
        if (++seen >= total) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  return found;
}

describe('the indexer when a dependency freezes', { timeout: 300_000 }, () => {
  it('Kafka paused for 20 s: the indexer consumes again and every change is indexed', async () => {
    await scenario('kafka-paused', kafka);
  });

  it('Kafka down for 60 s: the indexer waits for it without exiting, then indexes everything', async () => {
    // Longer than the liveness limits: a broker that does not answer is an outage, not a dead consumer.
    const { restarts } = await scenario('kafka-down', { pause: () => kafka.stop(), resume: () => kafka.start() }, 60_000);
    expect(restarts).toBe(0);
  });

  it('Elasticsearch paused for 20 s: the indexer consumes again and every change is indexed', async () => {
    await scenario('elasticsearch-paused', elasticsearch);
  });
});
