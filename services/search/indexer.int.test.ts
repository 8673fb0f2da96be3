// @needs kafka elasticsearch
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type Change, catalogEvents, toRecord } from '../catalog/events.ts';
import { publishedEvent } from '../catalog/testing/fixtures.ts';
import { ensureIndex } from './index-admin.ts';
import { indexChanges, notACatalogChange } from './indexer.ts';

const brokers = inject('kafkaBrokers').split(',');
const es = new Client({ node: inject('elasticsearchUrl') });
const kafka = kafkaClient({ clientId: 'indexer-test', brokers });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const log = pino({ level: 'silent' });
const running: EventConsumer[] = [];

/** Each test gets its own topic, group, dead-letter topic and index, so runs never mix. */
async function setup() {
  const suffix = randomUUID().slice(0, 8);
  const topic = `changes-${suffix}`;
  const groupId = `indexer-${suffix}`;
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 4, replicationFactor: 1 },
      { topic: `${groupId}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const index = `events-test-${suffix}`;
  const start = async () => {
    const indexer = new EventConsumer({
      brokers,
      groupId,
      topic,
      log,
      contracts: catalogEvents,
      unprocessable: notACatalogChange,
      retry: { maxAttempts: 2 },
      prepare: () => ensureIndex(es, index),
      handle: indexChanges(es, index),
    });
    running.push(indexer);
    await indexer.start();
    return indexer;
  };
  return { topic, groupId, index, start };
}

const change = (entityId: string, kind: Change['kind'], version: number, data: Record<string, unknown> = {}): Change => ({
  id: randomUUID(),
  kind,
  entityId,
  version,
  time: new Date(),
  data:
    kind === 'deleted'
      ? { id: entityId, version }
      : publishedEvent(entityId, version, { name: `v${version}`, category: 'concert', city: 'Hamburg', ...data }),
});
const send = (topic: string, changes: Change[]) => producer.send({ topic, acks: -1, messages: changes.map(toRecord) });
const doc = async (index: string, id: string) => {
  const found = await es.get<{ name: string; version: number }>({ index, id }, { ignore: [404] });
  return found.found ? { version: found._version, name: found._source?.name } : undefined;
};
async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
});
afterAll(async () => {
  await Promise.all(running.map((i) => i.stop().catch(() => undefined)));
  await producer.disconnect();
  await admin.disconnect();
  await es.close();
});

describe('the search indexer against real Kafka and Elasticsearch', () => {
  it('turns created, updated and deleted changes into the right documents', async () => {
    const { topic, index, start } = await setup();
    await start();
    const [a, b] = [randomUUID(), randomUUID()];
    await send(topic, [
      change(a, 'created', 1),
      change(b, 'created', 1),
      change(a, 'updated', 2, { name: 'renamed' }),
      change(b, 'deleted', 2),
    ]);
    await eventually(async () => (await doc(index, a))?.version === 2 && (await doc(index, b)) === undefined, 'a at v2, b deleted');
    expect(await doc(index, a)).toEqual({ version: 2, name: 'renamed' });
  });

  it('keeps the newer document when a batch arrives twice and an older version comes after a newer one', async () => {
    const { topic, index, start } = await setup();
    const indexer = await start();
    const id = randomUUID();
    const batch = [change(id, 'created', 1), change(id, 'updated', 2), change(id, 'updated', 3)];
    await send(topic, batch);
    await send(topic, batch);
    await send(topic, [change(id, 'updated', 2, { name: 'stale' })]);
    await eventually(async () => indexer.counts.consumed >= 7, 'all seven changes consumed');
    expect(await doc(index, id)).toEqual({ version: 3, name: 'v3' });
  });

  it('sends a poison message to the dead-letter topic with the reason, and keeps going', async () => {
    const { topic, groupId, index, start } = await setup();
    const indexer = await start();
    const after = randomUUID();
    await producer.send({ topic, acks: -1, messages: [{ key: 'bad', value: '{not json', headers: { ce_specversion: '1.0' } }] });
    await send(topic, [change(after, 'created', 1)]);
    const dead = await eventually(async () => {
      const offsets = await admin.fetchTopicOffsets(`${groupId}.dlq`);
      return offsets.some((p) => Number(p.high) > 0) ? offsets : undefined;
    }, 'a dead letter');
    expect(dead.reduce((n, p) => n + Number(p.high), 0)).toBe(1);
    const reader = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: `${groupId}.dlq`, fromBeginning: true });
    const headers = await new Promise<Record<string, string>>((resolveHeaders) => {
      void reader.run({
        eachMessage: async ({ message }) =>
          resolveHeaders(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString() ?? '']))),
      });
    });
    await reader.disconnect();
    expect(headers).toMatchObject({ 'dlq-topic': topic, 'dlq-group': groupId, 'dlq-attempts': '2' });
    expect(headers['dlq-reason']).toMatch(/not a catalog change/);
    await eventually(async () => (await doc(index, after))?.version === 1, 'the next change indexed');
    expect(indexer.counts.deadLettered).toBe(1);
  });

  it('shares partitions between two instances that together index everything once', async () => {
    const { topic, groupId, index, start } = await setup();
    const [one, two] = [await start(), await start()];
    const ids = Array.from({ length: 200 }, () => randomUUID());
    await send(
      topic,
      ids.map((id) => change(id, 'created', 1)),
    );
    await eventually(async () => one.counts.consumed + two.counts.consumed >= 200, 'all 200 consumed', 60_000);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(200);
    await es.indices.refresh({ index });
    expect((await es.count({ index })).count).toBe(200);
    expect(one.counts.consumed + two.counts.consumed).toBe(200);
    expect(one.counts.consumed).toBeGreaterThan(0);
    expect(two.counts.consumed).toBeGreaterThan(0);
  });
});
