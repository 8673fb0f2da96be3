// @needs postgres
/**
 * Bounded tables on a real PostgreSQL: Idempotency-Keys expire after their TTL (a retry inside the
 * window is still answered from the stored answer, or refused for another body; after it the key
 * is free), an inbox forgets its group's ids past the retention, and a publishing service runs
 * the job by itself, counting what it deleted in /metrics.
 */
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate as migrateCatalog } from '../services/catalog/migrations.ts';
import { eventInput } from '../services/catalog/schema.ts';
import { EventStore } from '../services/catalog/store.ts';
import { freshDatabase, sampleEvent } from '../services/catalog/testing/fixtures.ts';
import { migrate as migratePayments } from '../services/payments/migrations.ts';
import { PaymentStore } from '../services/payments/store.ts';
import { idempotencyKey } from './http/idempotency-key.ts';
import { Inbox } from './inbox.ts';
import { startPublisher } from './publisher.ts';
import { idempotencyKeysRetention, RetentionJob } from './retention.ts';

const log = pino({ level: 'silent' });
const hours = (n: number) => n * 3600_000;
/** Makes a stored key or inbox id look `ageHours` old. */
const age = (pool: pg.Pool, table: string, column: string, where: string, value: string, ageHours: number) =>
  pool.query(`UPDATE ${table} SET ${column} = now() - $2 * interval '1 hour' WHERE ${where} = $1`, [value, ageHours]);
const exists = async (pool: pg.Pool, table: string, where: string, value: string) =>
  (await pool.query(`SELECT 1 FROM ${table} WHERE ${where} = $1`, [value])).rowCount === 1;
const removedMetric = async (registry: Registry, name: string, table: string) => {
  const metric = (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.table === table);
  return metric?.value ?? 0;
};

describe('catalog Idempotency-Keys expire after 24 h', () => {
  let pool: pg.Pool;
  let store: EventStore;
  const input = eventInput.parse(sampleEvent());
  const key = (header: string, body: unknown = input) =>
    idempotencyKey(header, body, { scope: 'organizer' }) as NonNullable<ReturnType<typeof idempotencyKey>>;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')) });
    await migrateCatalog(pool);
    store = new EventStore(pool);
  });
  afterAll(() => pool.end());

  it('a retry inside the window replays or is refused; past it the key is deleted and free', async () => {
    const registry = new Registry();
    const job = new RetentionJob({ pool, log, registry, prefix: 'catalog', batchSize: 2 }).add(idempotencyKeysRetention(24));
    const fresh = await store.create(input, undefined, key('fresh'));
    const expired = await store.create(input, undefined, key('expired'));
    const many = await Promise.all([1, 2, 3, 4, 5].map((i) => store.create(input, undefined, key(`old-${i}`))));
    await age(pool, 'idempotency_keys', 'created_at', 'key', 'organizer\nfresh', 23.5);
    for (const k of ['expired', ...many.map((_, i) => `old-${i + 1}`)])
      await age(pool, 'idempotency_keys', 'created_at', 'key', `organizer\n${k}`, 24.1);

    // Several batches of 2: all six expired keys go, the fresh one stays.
    expect(await job.runOnce()).toEqual({ idempotency_keys: 6 });
    expect(await removedMetric(registry, 'catalog_retention_removed_rows_total', 'idempotency_keys')).toBe(6);
    expect(await exists(pool, 'idempotency_keys', 'key', 'organizer\nfresh')).toBe(true);
    expect(await exists(pool, 'idempotency_keys', 'key', 'organizer\nexpired')).toBe(false);

    // Inside the window: the first answer again, nothing created; another body is refused (422).
    const replay = await store.create(input, undefined, key('fresh'));
    expect(replay).toEqual({ kind: 'replayed', event: fresh.event });
    await expect(store.create({ ...input, name: 'another' }, undefined, key('fresh', { ...input, name: 'another' }))).rejects.toMatchObject(
      {
        problem: { status: 422 },
      },
    );
    // Past it: the key is free, so the same request is a new one.
    const again = await store.create(input, undefined, key('expired'));
    expect(again.kind).toBe('created');
    expect(again.event.id).not.toBe(expired.event.id);
    expect(await job.runOnce()).toEqual({ idempotency_keys: 0 });
  });
});

describe('payments: Idempotency-Keys expire, the inbox forgets its old ids', () => {
  let url: string;
  let pool: pg.Pool;
  let store: PaymentStore;
  const merchant = { name: 'Shop', email: 'shop@example.com', currency: 'EUR' };
  const key = (header: string, body: unknown = merchant) =>
    idempotencyKey(header, body, { scope: 'admin' }) as NonNullable<ReturnType<typeof idempotencyKey>>;

  beforeAll(async () => {
    url = await freshDatabase(inject('databaseUrl'));
    pool = new pg.Pool({ connectionString: url });
    await migratePayments(pool);
    store = new PaymentStore(pool);
  });
  afterAll(() => pool.end());

  it('replays inside the window, refuses another body, and takes an expired key as new', async () => {
    const job = new RetentionJob({ pool, log, registry: new Registry(), prefix: 'payments' }).add(idempotencyKeysRetention(24));
    const first = await store.createMerchant(merchant, key('m-fresh'));
    const old = await store.createMerchant(merchant, key('m-old'));
    await age(pool, 'idempotency_keys', 'created_at', 'key', 'admin\nm-fresh', 23);
    await age(pool, 'idempotency_keys', 'created_at', 'key', 'admin\nm-old', 25);
    expect(await job.runOnce()).toEqual({ idempotency_keys: 1 });

    expect(await store.createMerchant(merchant, key('m-fresh'))).toEqual({ ...first, replayed: true });
    await expect(
      store.createMerchant({ ...merchant, name: 'Other' }, key('m-fresh', { ...merchant, name: 'Other' })),
    ).rejects.toMatchObject({
      problem: { status: 422 },
    });
    const renewed = await store.createMerchant(merchant, key('m-old'));
    expect(renewed.replayed).toBe(false);
    expect(renewed.body.id).not.toBe(old.body.id);
  });

  it("an inbox id past the retention is deleted (its group's only); one inside it is still a duplicate", async () => {
    const ledger = new Inbox({ pool, group: 'ledger' });
    const other = new Inbox({ pool, group: 'other' });
    const job = new RetentionJob({ pool, log, registry: new Registry(), prefix: 'payments' }).add(ledger.retention(hours(38 * 24)));
    for (const id of ['recent', 'old']) expect(await ledger.once(id, async () => undefined)).toBe('applied');
    expect(await other.once('old', async () => undefined)).toBe('applied');
    await pool.query(`UPDATE inbox SET received_at = now() - interval '39 days' WHERE event_id = 'old'`);
    await age(pool, 'inbox', 'received_at', "consumer_group = 'ledger' AND event_id", 'recent', 37 * 24);

    expect(await job.runOnce()).toEqual({ inbox: 1 });
    expect((await pool.query('SELECT consumer_group, event_id FROM inbox ORDER BY 1, 2')).rows).toEqual([
      { consumer_group: 'ledger', event_id: 'recent' },
      { consumer_group: 'other', event_id: 'old' },
    ]);
    let effects = 0;
    expect(await ledger.once('recent', async () => void effects++)).toBe('duplicate');
    expect(effects).toBe(0);
  });

  it('a publishing service runs the job by itself once set up, and counts the rows in /metrics', async () => {
    const publisher = startPublisher({
      name: 'payments',
      config: { DATABASE_URL: url, KAFKA_BROKERS: ['127.0.0.1:9'], OUTBOX_RETENTION_HOURS: 168, INBOX_RETENTION_HOURS: 24 },
      log,
      setup: migratePayments,
      retention: [idempotencyKeysRetention(24)],
      retentionIntervalMs: 100,
    });
    try {
      publisher.retainInbox(new Inbox({ pool: publisher.pool, group: 'ledger' }));
      expect(await publisher.setUp).toBe(true);
      await store.createMerchant(merchant, key('m-wired'));
      await age(pool, 'idempotency_keys', 'created_at', 'key', 'admin\nm-wired', 25);
      await new Inbox({ pool, group: 'ledger' }).once('wired', async () => undefined);
      await age(pool, 'inbox', 'received_at', "consumer_group = 'ledger' AND event_id", 'wired', 25);
      const deadline = Date.now() + 10_000;
      let text = '';
      while (Date.now() < deadline) {
        text = await publisher.registry.metrics();
        if (text.includes('payments_retention_removed_rows_total{table="inbox"} 2')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // The inbox: 'wired', and 'recent' of the test before (37 days old, past these 24 hours).
      expect(text).toContain('payments_retention_removed_rows_total{table="inbox"} 2');
      expect(text).toContain('payments_retention_removed_rows_total{table="idempotency_keys"} 1');
      expect(await exists(pool, 'idempotency_keys', 'key', 'admin\nm-wired')).toBe(false);
      expect((await publisher.health.report('ready')).ok).toBe(true);
    } finally {
      // Slow (~19 s) here: the relay's stop waits out kafkajs's connection retries to the absent broker.
      await publisher.stop();
    }
  });
});
