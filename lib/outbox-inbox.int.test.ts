// @needs kafka postgres
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { freshDatabase } from '../services/catalog/testing/fixtures.ts';
import { EnvelopeError } from './cloudevents.ts';
import { eachEventOnce } from './consumer/each-batch.ts';
import { ContractRegistry, type DecodedEvent, defineContract, encodeEvent } from './contracts.ts';
import { Inbox, inboxTableSql } from './inbox.ts';
import { kafkaClient } from './kafka.ts';
import { Outbox, outboxTableSql } from './outbox.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { inTransaction, migrate } from './pg.ts';
import { relayWakeup } from './relay-wakeup.ts';

const brokers = inject('kafkaBrokers').split(',');
const kafka = kafkaClient({ clientId: 'outbox-inbox-test', brokers });
const admin = kafka.admin();
const log = pino({ level: 'silent' });
const suffix = randomUUID().slice(0, 8);
const topics = { a: `outbox-a-${suffix}.events`, b: `outbox-b-${suffix}.events` };
const contract = (topic: string) =>
  defineContract({
    type: `dev.eventide.test.thing.changed.v1`,
    source: '/test',
    topic,
    data: z.object({ id: z.string(), n: z.int() }),
    subject: (d) => d.id,
    description: 'test',
  });
let url: string;
let pool: pg.Pool;

/** Reads a topic from the beginning until it holds `count` records. */
async function read(topic: string, count: number) {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const seen: { key: string; n: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const registry = new ContractRegistry([contract(topic)]);
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`only ${seen.length} of ${count} on ${topic}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
        const event = registry.decode({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
        seen.push({ key: event.key, n: (event.data as { n: number }).n });
        if (seen.length >= count) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

beforeAll(async () => {
  url = await freshDatabase(inject('databaseUrl'));
  pool = new pg.Pool({ connectionString: url });
  await migrate(pool, 'test-migrations', [
    { id: 1, name: 'two outboxes and an inbox', sql: outboxTableSql('outbox_a') + outboxTableSql('outbox_b') + inboxTableSql() },
  ]);
  await admin.connect();
  await admin.createTopics({
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    waitForLeaders: true,
  });
});
afterAll(async () => {
  await admin.disconnect();
  await pool.end();
});

describe('the outbox, parameterised', () => {
  it('relays two outboxes in one database independently (own table, channel, lock), each in order per key', async () => {
    const relays = (['a', 'b'] as const).map(
      (name) => new OutboxRelay({ databaseUrl: url, brokers, log, table: `outbox_${name}`, clientId: `relay-${name}`, pollMs: 600_000 }),
    );
    for (const relay of relays) relay.start();
    try {
      const outboxes = { a: new Outbox({ table: 'outbox_a' }), b: new Outbox({ table: 'outbox_b' }) };
      // a's writer is another process than its relay (a NOTIFY after commit); b's leads its relay (a call).
      const elsewhere = { isLeader: false, nudge: () => undefined };
      outboxes.a.onCommitted(relayWakeup({ relay: elsewhere, pool, channel: outboxes.a.channel, log }));
      outboxes.b.onCommitted(relayWakeup({ relay: relays[1] as OutboxRelay, pool, channel: outboxes.b.channel, log }));
      for (let n = 0; n < 30; n++) {
        for (const name of ['a', 'b'] as const) {
          await inTransaction(pool, (tx) => outboxes[name].append(tx, encodeEvent(contract(topics[name]), { id: `k${n % 3}`, n })));
        }
      }
      // A rolled-back append publishes nothing.
      await inTransaction(pool, async (tx) => {
        await outboxes.a.append(tx, encodeEvent(contract(topics.a), { id: 'k0', n: 999 }));
        throw new Error('rolled back');
      }).catch(() => undefined);
      // Both relays lead at once (different locks); with a 10-minute poll, only the wake-ups (a's
      // NOTIFY on its own channel, b's call) can bring them in time for the readers (60 s).
      const [a, b] = await Promise.all([read(topics.a, 30), read(topics.b, 30)]);
      for (const seen of [a, b]) {
        for (const key of ['k0', 'k1', 'k2']) {
          const ns = seen.filter((r) => r.key === key).map((r) => r.n);
          expect(ns).toEqual([...ns].sort((x, y) => x - y));
          expect(ns).toHaveLength(10);
        }
        expect(seen.some((r) => r.n === 999)).toBe(false);
      }
      expect(relays.every((r) => r.isLeader)).toBe(true);
      expect(await outboxes.a.backlog(pool)).toEqual({ unsent: 0, oldestAgeSeconds: 0 });
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });
});

describe('the inbox', () => {
  it('applies an event once, whatever the redelivery, even two deliveries at the same moment', async () => {
    await pool.query('CREATE TABLE tally (id text PRIMARY KEY, n integer NOT NULL)');
    await pool.query("INSERT INTO tally VALUES ('t', 0)");
    const inbox = new Inbox({ pool, group: 'tally' });
    const add = (eventId: string) => inbox.once(eventId, async (tx) => void (await tx.query("UPDATE tally SET n = n + 1 WHERE id = 't'")));
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const outcomes = await Promise.all([...ids, ...ids, ...ids].map(add));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(20);
    expect((await pool.query("SELECT n FROM tally WHERE id = 't'")).rows[0].n).toBe(20);
    // Another group has an inbox of its own: the same event is new to it.
    expect(await new Inbox({ pool, group: 'other' }).once(ids[0] as string, async () => undefined)).toBe('applied');
    // Effects that fail roll the id back too, so the redelivery applies them.
    const failing = randomUUID();
    await expect(inbox.once(failing, async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await add(failing)).toBe('applied');
  });

  it('a batch in one transaction: duplicates skipped, a poisoned event rejected alone, the others applied once', async () => {
    await pool.query('CREATE TABLE batch_tally (id text PRIMARY KEY)');
    const inbox = new Inbox({ pool, group: 'batch' });
    const handle = eachEventOnce(inbox, async (tx, event) => {
      if ((event.data as { n: number }).n < 0) throw new EnvelopeError('negative n');
      await tx.query('INSERT INTO batch_tally (id) VALUES ($1)', [event.id]);
    });
    const event = (n: number) => ({ id: randomUUID(), data: { n } }) as unknown as DecodedEvent;
    const [a, b, poisoned, c] = [event(1), event(2), event(-1), event(3)] as DecodedEvent[];
    const context = { partition: 0, heartbeat: async () => undefined };
    const outcomes = await handle([a, b, b, poisoned, c] as DecodedEvent[], context);
    expect(outcomes).toEqual([undefined, undefined, undefined, { reject: 'negative n' }, undefined]);
    // Redelivered with a new one: only the new one has an effect, in the batch's single transaction.
    const d = event(4);
    expect(await handle([a, b, c, d] as DecodedEvent[], context)).toEqual([undefined, undefined, undefined, undefined]);
    const ids = (await pool.query<{ id: string }>('SELECT id FROM batch_tally')).rows.map((r) => r.id).sort();
    expect(ids).toEqual([a, b, c, d].map((e) => e?.id).sort());
  });
});
