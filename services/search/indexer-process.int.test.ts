// @needs kafka elasticsearch
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConsumerTopics } from '../../devkit/kafka.ts';
import { type Launched, launchProgram } from '../../devkit/process.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type Change, toRecord } from '../catalog/events.ts';
import { publishedEvent } from '../catalog/testing/fixtures.ts';

const brokers = inject('kafkaBrokers');
const es = new Client({ node: inject('elasticsearchUrl') });
const kafka = kafkaClient({ clientId: 'indexer-process-test', brokers: brokers.split(',') });
const admin = kafka.admin();
const logs = mkdtempSync(join(tmpdir(), 'eventide-indexer-test-'));
const suffix = randomUUID().slice(0, 8);
const topic = `kill-${suffix}`;
const groupId = `kill-indexer-${suffix}`;
// Its own index: the canonical one is shared with the search API suite, and these documents
// (id, version, name only) would sit in its date-sorted pages.
const index = `events-kill-${suffix}`;
const running: Launched[] = [];

const startIndexer = (name: string) => {
  const proc = launchProgram('services/search/indexer-main.ts', {
    name,
    logDir: logs,
    env: {
      KAFKA_BROKERS: brokers,
      ELASTICSEARCH_URL: inject('elasticsearchUrl'),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      ELASTICSEARCH_INDEX: index,
      PORT: '0',
      LOG_LEVEL: 'info',
    },
  });
  running.push(proc);
  return proc;
};
/** Offsets the group committed; 0 while its coordinator is still loading (a retriable answer). */
const committed = async () =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []))[0]?.partitions.reduce(
    (n, p) => n + Math.max(0, Number(p.offset)),
    0,
  ) ?? 0;

beforeAll(async () => {
  await admin.connect();
  await createConsumerTopics(admin, { topic, groupId, partitions: 4 });
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  await admin.disconnect();
  await es.indices.delete({ index }, { ignore: [404] });
  await es.close();
});

describe('the indexer process', () => {
  it('SIGKILLed mid-stream and restarted, leaves the index equal to the source of truth', async () => {
    // The source of truth: 400 events, each changed four times, every fifth then deleted.
    const truth = new Map<string, number | 'deleted'>();
    const changes: Change[] = [];
    for (let e = 0; e < 400; e++) {
      const id = randomUUID();
      for (let v = 1; v <= 4; v++) {
        changes.push({
          id: randomUUID(),
          kind: v === 1 ? 'created' : 'updated',
          entityId: id,
          version: v,
          time: new Date(),
          data: publishedEvent(id, v, { name: `v${v}` }),
        });
      }
      if (e % 5 === 0) {
        changes.push({ id: randomUUID(), kind: 'deleted', entityId: id, version: 5, time: new Date(), data: { id, version: 5 } });
        truth.set(id, 'deleted');
      } else {
        truth.set(id, 4);
      }
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < changes.length; i += 200)
      await producer.send({ topic, acks: -1, messages: changes.slice(i, i + 200).map(toRecord) });
    await producer.disconnect();

    const first = startIndexer('first');
    const deadline = Date.now() + 60_000;
    while ((await committed()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.kill();
    const atKill = await committed();
    startIndexer('second');
    while ((await committed()) < changes.length && Date.now() < deadline + 60_000) await new Promise((r) => setTimeout(r, 200));
    expect(await committed()).toBe(changes.length);

    await es.indices.refresh({ index });
    const ids = [...truth.keys()];
    const found = await es.mget<{ version: number }>({ index, ids });
    for (const doc of found.docs) {
      const expected = truth.get(doc._id);
      if (expected === 'deleted') expect('found' in doc && doc.found, doc._id).toBe(false);
      else expect('found' in doc && doc.found ? doc._version : undefined, doc._id).toBe(expected);
    }
    expect(atKill).toBeLessThan(changes.length);
    expect(readFileSync(join(logs, 'second.log'), 'utf8')).toContain('indexing');
  }, 150_000);
});
