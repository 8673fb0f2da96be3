// @needs kafka postgres
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConsumerTopics } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { type Launched, launchProgram } from '../../devkit/process.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type Change, toRecord } from '../catalog/events.ts';
import { freshDatabase, publishedEvent } from '../catalog/testing/fixtures.ts';

const brokers = inject('kafkaBrokers');
const kafka = kafkaClient({ clientId: 'category-counts-test', brokers: brokers.split(','), log: pino({ level: 'silent' }) });
const admin = kafka.admin();
const suffix = randomUUID().slice(0, 8);
const topic = `counts-${suffix}`;
const groupId = `category-counts-${suffix}`;
const logs = mkdtempSync(join(tmpdir(), 'eventide-category-counts-'));
const running: Launched[] = [];
let databaseUrl: string;
let db: pg.Pool;

const start = async (name: string) => {
  const port = await freePort();
  const proc = launchProgram('services/category-counts/main.ts', {
    name,
    logDir: logs,
    env: {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: databaseUrl,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      // Slow enough that the SIGKILL lands mid-stream, with batches applied but not committed.
      MAX_RECORDS_PER_SECOND: '150',
      PORT: String(port),
    },
  });
  running.push(proc);
  return { proc, url: `http://127.0.0.1:${port}` };
};
const committed = async () =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []))[0]?.partitions.reduce(
    (n, p) => n + Math.max(0, Number(p.offset)),
    0,
  ) ?? 0;
const inboxRows = async () =>
  Number((await db.query('SELECT count(*) AS n FROM inbox').catch(() => ({ rows: [{ n: 0 }] }))).rows[0]?.n ?? 0);
const until = async (what: string, probe: () => Promise<boolean>, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs / 1000} s; logs in ${logs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  databaseUrl = await freshDatabase(inject('databaseUrl'));
  db = new pg.Pool({ connectionString: databaseUrl });
  await admin.connect();
  await createConsumerTopics(admin, { topic, groupId, partitions: 3 });
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  await admin.disconnect();
  await db.end();
});

describe('category-counts, the worked example', () => {
  it('SIGKILLed mid-batch and restarted, with every record also delivered twice, counts each change exactly once', async () => {
    const categories = ['concert', 'talk', 'festival', 'workshop'];
    const changes: Change[] = [];
    const truth = new Map<string, string | undefined>();
    for (let e = 0; e < 300; e++) {
      const id = randomUUID();
      const first = categories[e % 4] as string;
      const last = e % 3 === 0 ? (categories[(e + 1) % 4] as string) : first;
      const at = (version: number, category: string) => publishedEvent(id, version, { category });
      changes.push({ id: randomUUID(), kind: 'created', entityId: id, version: 1, time: new Date(), data: at(1, first) });
      changes.push({ id: randomUUID(), kind: 'updated', entityId: id, version: 2, time: new Date(), data: at(2, last) });
      if (e % 5 === 0) {
        changes.push({ id: randomUUID(), kind: 'deleted', entityId: id, version: 3, time: new Date(), data: { id, version: 3 } });
        truth.set(id, undefined);
      } else truth.set(id, last);
    }
    const expected: Record<string, number> = {};
    for (const category of truth.values()) if (category) expected[category] = (expected[category] ?? 0) + 1;

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // Each record twice, as a relay that crashed between send and mark would publish it.
    const records = changes.map(toRecord);
    for (let i = 0; i < records.length; i += 100) {
      const slice = records.slice(i, i + 100);
      await producer.send({ topic, acks: -1, messages: [...slice, ...slice] });
    }
    await producer.disconnect();

    const first = await start('first');
    await until('a third applied', async () => (await inboxRows()) > changes.length / 3);
    await first.proc.kill();
    const appliedAtKill = await inboxRows();
    const committedAtKill = await committed();
    expect(appliedAtKill).toBeLessThan(changes.length);

    const second = await start('second');
    await until('every record committed', async () => (await committed()) === records.length * 2, 120_000);
    const counts = (await (await fetch(`${second.url}/api/v1/category-counts`)).json()) as {
      items: { category: string; events: number }[];
    };
    expect(Object.fromEntries(counts.items.map((row) => [row.category, row.events]))).toEqual(expected);
    expect(await inboxRows()).toBe(changes.length);
    const one = await fetch(`${second.url}/api/v1/category-counts/concert`);
    expect(await one.json()).toEqual({ category: 'concert', events: expected.concert });
    const none = await fetch(`${second.url}/api/v1/category-counts/nothing-here`);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    // What the kill left for the second process to redeliver: applied, but not yet committed.
    console.log(`at the kill: ${appliedAtKill} changes applied, ${committedAtKill} of ${records.length * 2} records committed`);
  }, 240_000);
});
