// @needs kafka
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ElasticsearchServer, startElasticsearch } from '../../devkit/elasticsearch.ts';
import { createConsumerTopics } from '../../devkit/kafka.ts';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type Change, catalogEvents, toRecord } from '../catalog/events.ts';
import { publishedEvent } from '../catalog/testing/fixtures.ts';
import { ensureIndex } from './index-admin.ts';
import { indexChanges, notACatalogChange } from './indexer.ts';

const brokers = inject('kafkaBrokers').split(',');
const kafka = kafkaClient({ clientId: 'outage-test', brokers });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
let elasticsearch: ElasticsearchServer;
let es: Client;
let indexer: EventConsumer;
const suffix = randomUUID().slice(0, 8);
const topic = `outage-${suffix}`;
const groupId = `outage-indexer-${suffix}`;
const index = `events-outage-${suffix}`;

const created = (id: string): Change => ({
  id: randomUUID(),
  kind: 'created',
  entityId: id,
  version: 1,
  time: new Date(),
  data: publishedEvent(id, 1, { name: 'x' }),
});
/** Offsets the group committed; 0 while its coordinator is still loading (a retriable answer). */
const committed = async () =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []))[0]?.partitions.reduce(
    (n, p) => n + Math.max(0, Number(p.offset)),
    0,
  ) ?? 0;

beforeAll(async () => {
  // A private Elasticsearch: this suite stops and starts it.
  elasticsearch = await startElasticsearch({ heap: '512m' });
  es = new Client({ node: elasticsearch.url, maxRetries: 0, requestTimeout: 3_000 });
  await admin.connect();
  await producer.connect();
  await createConsumerTopics(admin, { topic, groupId, partitions: 2 });
  indexer = new EventConsumer({
    brokers,
    groupId,
    topic,
    log: pino({ level: 'silent' }),
    contracts: catalogEvents,
    unprocessable: notACatalogChange,
    prepare: () => ensureIndex(es, index),
    handle: indexChanges(es, index),
  });
  await indexer.start();
}, 240_000);
afterAll(async () => {
  await indexer?.stop();
  await producer.disconnect();
  await admin.disconnect();
  await elasticsearch?.dispose();
});

describe('the indexer while Elasticsearch is down', () => {
  it('commits nothing past what was indexed, and indexes everything once Elasticsearch is back', async () => {
    const first = Array.from({ length: 50 }, () => randomUUID());
    await producer.send({ topic, acks: -1, messages: first.map((id) => toRecord(created(id))) });
    const deadline = Date.now() + 30_000;
    while ((await committed()) < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await committed()).toBe(50);

    await elasticsearch.kill();
    const second = Array.from({ length: 100 }, () => randomUUID());
    await producer.send({ topic, acks: -1, messages: second.map((id) => toRecord(created(id))) });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await committed()).toBe(50);

    await elasticsearch.start();
    const back = Date.now() + 60_000;
    while ((await committed()) < 150 && Date.now() < back) await new Promise((r) => setTimeout(r, 200));
    expect(await committed()).toBe(150);
    await es.indices.refresh({ index });
    expect((await es.count({ index })).count).toBe(150);
    expect(indexer.counts.deadLettered).toBe(0);
  }, 120_000);
});
