// @needs postgres kafka
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type KafkaServer, startKafka } from '../../devkit/kafka.ts';
import { type Launched, launchProgram } from '../../devkit/process.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { Outbox } from '../../lib/outbox.ts';
import { OutboxRelay } from '../../lib/outbox-relay.ts';
import { changeTopic, fromRecord } from './events.ts';
import { migrate, migrations } from './migrations.ts';
import { eventInput } from './schema.ts';
import { EventStore } from './store.ts';
import { freshDatabase, sampleEvent } from './testing/fixtures.ts';

const log = pino({ level: 'silent' });
const input = (overrides: Record<string, unknown> = {}) => eventInput.parse(sampleEvent(overrides));

async function ensureTopic(brokers: string[]) {
  const admin = kafkaClient({ clientId: 'relay-test', brokers }).admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(changeTopic)) {
    await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  }
  await admin.disconnect();
}

/** Reads catalog.events from the beginning until `until` says it has what it needs. */
async function readChanges(brokers: string[], until: (changes: ReturnType<typeof fromRecord>[]) => boolean, timeoutMs = 60_000) {
  const kafka = kafkaClient({ clientId: 'relay-reader', brokers });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const changes: ReturnType<typeof fromRecord>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: changeTopic, fromBeginning: true });
  const done = new Promise<void>((resolveDone, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${changes.length} changes arrived within ${timeoutMs} ms`)), timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
        changes.push(fromRecord({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers }));
        if (until(changes)) {
          clearTimeout(timer);
          resolveDone();
        }
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return changes;
}

const versionsOf = (changes: ReturnType<typeof fromRecord>[], id: string) => changes.filter((c) => c.entityId === id).map((c) => c.version);

describe('the outbox relay', () => {
  const brokers = inject('kafkaBrokers').split(',');
  let pool: pg.Pool;
  let relay: OutboxRelay;

  beforeAll(async () => {
    await ensureTopic(brokers);
    const url = await freshDatabase(inject('databaseUrl'));
    pool = new pg.Pool({ connectionString: url });
    await migrate(pool);
    relay = new OutboxRelay({ databaseUrl: url, brokers, log, pollMs: 200 });
    relay.start();
  });
  afterAll(async () => {
    await relay.stop();
    await pool.end();
  });

  it('publishes create, updates and delete of an event in order, with CloudEvents headers and versions', async () => {
    const store = new EventStore(pool);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const created = await store.create(input(), traceparent);
    const id = created.event.id;
    await store.replace(id, input({ name: 'Second' }), 1);
    await store.patch(id, { capacity: 5 }, 2);
    await store.delete(id, 3);
    const changes = await readChanges(brokers, (all) => versionsOf(all, id).length >= 4);
    const mine = changes.filter((c) => c.entityId === id);
    expect(mine.map((c) => [c.kind, c.version])).toEqual([
      ['created', 1],
      ['updated', 2],
      ['updated', 3],
      ['deleted', 4],
    ]);
    expect(mine[0]?.traceparent).toBe(traceparent);
    expect(mine[1]?.data).toMatchObject({ name: 'Second', version: 2 });
    expect(mine[3]?.data).toEqual({ id, version: 4 });
    expect(new Set(mine.map((c) => c.id)).size).toBe(4);
    expect((await new Outbox().backlog(pool)).unsent).toBe(0);
  });
});

describe('the outbox when Kafka is down', () => {
  let kafka: KafkaServer;
  let pool: pg.Pool;
  let relay: OutboxRelay;

  beforeAll(async () => {
    kafka = await startKafka();
    await ensureTopic(kafka.brokers);
    const url = await freshDatabase(inject('databaseUrl'));
    pool = new pg.Pool({ connectionString: url, max: 10 });
    await migrate(pool);
    relay = new OutboxRelay({ databaseUrl: url, brokers: kafka.brokers, log, pollMs: 200 });
    relay.start();
  }, 240_000);
  afterAll(async () => {
    await relay.stop();
    await pool.end();
    await kafka.dispose();
  });

  it('keeps accepting 1,000 writes, and delivers all of them in order once Kafka returns, none twice', async () => {
    await kafka.kill();
    const store = new EventStore(pool);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const created = await store.create(input({ name: `down-${i}` }));
      if (created.kind !== 'created') throw new Error('unexpected');
      ids.push(created.event.id);
    }
    for (let round = 2; round <= 5; round++) {
      await Promise.all(ids.map((id) => store.patch(id, { capacity: round }, round - 1)));
    }
    expect((await new Outbox().backlog(pool)).unsent).toBe(1_000);
    await kafka.start();
    const changes = await readChanges(kafka.brokers, (all) => all.length >= 1_000, 120_000);
    for (const id of ids) expect(versionsOf(changes, id)).toEqual([1, 2, 3, 4, 5]);
    expect(changes).toHaveLength(1_000);
  }, 180_000);
});

describe('catalog processes', () => {
  const running: Launched[] = [];
  const logs = mkdtempSync(join(tmpdir(), 'eventide-catalog-test-'));
  const brokers = inject('kafkaBrokers');
  let url: string;
  let pool: pg.Pool;

  const startCatalog = (name: string) => {
    const proc = launchProgram('services/catalog/main.ts', {
      name,
      logDir: logs,
      // No identity here: the key set is only for writes over HTTP, which this test does not make.
      env: {
        DATABASE_URL: url,
        KAFKA_BROKERS: brokers,
        PORT: '0',
        LOG_LEVEL: 'info',
        IDENTITY_JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      },
    });
    running.push(proc);
    return proc;
  };

  beforeAll(async () => {
    url = await freshDatabase(inject('databaseUrl'));
    pool = new pg.Pool({ connectionString: url, max: 10 });
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill()));
    await pool.end();
  });

  it('two replicas migrate once, and with the relaying one SIGKILLed mid-drain no change is lost and each entity stays in order', async () => {
    startCatalog('catalog-a');
    startCatalog('catalog-b');
    // Both run the migrations at once; the advisory lock lets exactly one apply them.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await pool.query("SELECT to_regclass('public.schema_migrations') AS t")).rows[0].t === null)
      await new Promise((r) => setTimeout(r, 100));
    const store = new EventStore(pool);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const created = await store.create(input({ name: `crash-${i}` }));
      if (created.kind !== 'created') throw new Error('unexpected');
      ids.push(created.event.id);
    }
    for (let round = 2; round <= 10; round++) await Promise.all(ids.map((id) => store.patch(id, { capacity: round }, round - 1)));
    // Kill whichever replica relays while the 1,000 changes drain; the other takes the lock over.
    const relaying = await (async () => {
      for (;;) {
        for (const proc of running) {
          const { readFileSync } = await import('node:fs');
          if (readFileSync(proc.logFile, 'utf8').includes('this replica relays')) return proc;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await relaying.kill();
    const changes = await readChanges(brokers.split(','), (all) => ids.every((id) => versionsOf(all, id).includes(10)), 120_000);
    for (const id of ids) {
      // After a crash a batch may be sent again (duplicates, after later versions); versions in
      // order of first arrival must still be complete and increasing: no gap, no reordering.
      expect([...new Set(versionsOf(changes, id))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(migrations.length);
  }, 180_000);
});
