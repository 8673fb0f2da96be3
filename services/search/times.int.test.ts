// @needs postgres kafka elasticsearch
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { OutboxRelay } from '../../lib/outbox-relay.ts';
import { catalogEvents, changeTopic } from '../catalog/events.ts';
import { freshDatabase, inProcessCatalog, sampleEvent } from '../catalog/testing/fixtures.ts';
import { ensureIndex } from './index-admin.ts';
import { indexChanges, notACatalogChange } from './indexer.ts';
import { buildSearch, searchParams } from './query.ts';

/**
 * A write the catalog acknowledges is indexable: edge times go through the real catalog, outbox
 * relay, Kafka and indexer into an index made from the real definition, and each acknowledged one
 * is searchable while nothing reaches the dead-letter topic; times outside the rule are refused.
 */
const brokers = inject('kafkaBrokers').split(',');
const es = new Client({ node: inject('elasticsearchUrl') });
const kafka = kafkaClient({ clientId: 'times-test', brokers });
const admin = kafka.admin();
const log = pino({ level: 'silent' });
const suffix = randomUUID().slice(0, 8);
// Its own group and index, so other suites' changes on catalog.events neither wait for nor mix with these.
const groupId = `search-indexer-times-${suffix}`;
const index = `events-times-${suffix}`;
const category = `times-${suffix}`;

let catalog: Awaited<ReturnType<typeof inProcessCatalog>>;
let issuer: TokenIssuer;
let writer: Record<string, string>;
let relay: OutboxRelay;
let indexer: EventConsumer;

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const post = (body: unknown) =>
  catalog.app.request('/api/v1/events', {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...writer },
  });

/** The keys of every record on the dead-letter topic. */
async function deadLetterKeys(): Promise<string[]> {
  const offsets = await admin.fetchTopicOffsets(`${groupId}.dlq`);
  const total = offsets.reduce((n, p) => n + Number(p.high), 0);
  if (total === 0) return [];
  const reader = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
  const keys: string[] = [];
  await reader.connect();
  await reader.subscribe({ topic: `${groupId}.dlq`, fromBeginning: true });
  await new Promise<void>((done) => {
    void reader.run({
      eachMessage: async ({ message }) => {
        keys.push(message.key?.toString() ?? '');
        if (keys.length === total) done();
      },
    });
  });
  await reader.disconnect();
  return keys;
}

beforeAll(async () => {
  await admin.connect();
  const topics = await admin.listTopics();
  await admin.createTopics({
    topics: [
      ...(topics.includes(changeTopic) ? [] : [{ topic: changeTopic, numPartitions: 6, replicationFactor: 1 }]),
      { topic: `${groupId}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const databaseUrl = await freshDatabase(inject('databaseUrl'));
  issuer = await startTokenIssuer();
  writer = await issuer.bearer(principals.platformAdmin());
  catalog = await inProcessCatalog(databaseUrl, remoteJwtVerifier(issuer.jwksUrl));
  relay = new OutboxRelay({ databaseUrl, brokers, log, pollMs: 200 });
  relay.start();
  indexer = new EventConsumer({
    brokers,
    groupId,
    topic: changeTopic,
    log,
    contracts: catalogEvents,
    unprocessable: notACatalogChange,
    retry: { maxAttempts: 2 },
    prepare: () => ensureIndex(es, index),
    handle: indexChanges(es, index),
  });
  void indexer.start();
});
afterAll(async () => {
  await indexer?.stop().catch(() => undefined);
  await relay?.stop().catch(() => undefined);
  await catalog?.pool.end();
  await issuer?.stop();
  await es.indices.delete({ index }, { ignore: [404] }).catch(() => undefined);
  await admin.disconnect();
  await es.close();
});

describe('times: what the catalog acknowledges, the index takes', () => {
  it('indexes every edge time the rule allows, as UTC, with nothing dead-lettered', async () => {
    const accepted: [string, string, string, string][] = [
      // sent startsAt, sent endsAt, stored startsAt, stored endsAt
      ['2027-03-01T19:00:00+14:00', '2027-03-01T19:00:00-14:00', '2027-03-01T05:00:00.000Z', '2027-03-02T09:00:00.000Z'],
      ['2027-03-01T19:00:00+05:45', '2027-03-01T23:59:59.999+05:45', '2027-03-01T13:15:00.000Z', '2027-03-01T18:14:59.999Z'],
      ['2028-02-29T00:00:00Z', '2028-02-29T23:59:59.5Z', '2028-02-29T00:00:00.000Z', '2028-02-29T23:59:59.500Z'],
      ['2000-02-29T12:00:00-00:00', '2000-03-01T00:00:00.01+00:00', '2000-02-29T12:00:00.000Z', '2000-03-01T00:00:00.010Z'],
      ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
      ['0001-01-01T14:00:00+14:00', '9999-12-31T09:59:59.999-14:00', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
      ['2027-03-01t19:00:00.1z', '2027-03-01T19:00:00.12Z', '2027-03-01T19:00:00.100Z', '2027-03-01T19:00:00.120Z'],
    ];
    const ids: string[] = [];
    for (const [startsAt, endsAt, storedStart, storedEnd] of accepted) {
      const response = await post(sampleEvent({ category, startsAt, endsAt }));
      expect(response.status, `${startsAt} → ${endsAt}`).toBe(201);
      const event = (await response.json()) as { id: string; startsAt: string; endsAt: string };
      expect([event.startsAt, event.endsAt]).toEqual([storedStart, storedEnd]);
      ids.push(event.id);
    }

    for (const [i, id] of ids.entries()) {
      const found = await eventually(async () => {
        const doc = await es.get<{ startsAt: string; endsAt: string }>({ index, id }, { ignore: [404] });
        return doc.found ? doc._source : undefined;
      }, `event ${id} (${accepted[i]?.[0]}) in the index`);
      expect([found?.startsAt, found?.endsAt]).toEqual(accepted[i]?.slice(2));
    }
    await es.indices.refresh({ index });
    // The search API's own query over the whole allowed range, offsets in its parameters, month facets included.
    const search = buildSearch(
      searchParams.parse({ category, from: '0001-01-01T14:00:00+14:00', to: '9999-12-31T23:59:59.999Z', size: '100' }),
    );
    const result = await es.search<{ id: string }>({ ...search, index });
    expect(result.hits.hits.map((h) => h._source?.id).sort()).toEqual([...ids].sort());
    expect((await deadLetterKeys()).filter((key) => ids.includes(key))).toEqual([]);
  });

  it.each([
    ['endsAt', '2027-03-02T22:00:00+19:00'],
    ['startsAt', '2027-03-01T19:00:00-21:42'],
    ['startsAt', '2027-03-01T19:00:00+14:01'],
    ['startsAt', '2027-03-01T19:00:00-14:01'],
    ['startsAt', '2027-02-29T19:00:00Z'],
    ['startsAt', '2027-03-01T19:60:00Z'],
    ['startsAt', '2027-03-01T19:00:00+05:60'],
    ['endsAt', '2027-03-01T22:00:00.123456789Z'],
    ['startsAt', '0001-01-01T00:00:00+00:01'],
    ['endsAt', '9999-12-31T23:59:59-00:01'],
  ])('refuses %s %s with 400 problem+json naming the field', async (field, value) => {
    const response = await post(sampleEvent({ category, [field]: value }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { errors?: { path: string }[] };
    expect(problem.errors?.map((e) => e.path)).toContain(field);
  });
});
