// @needs postgres
/**
 * The payments store's write commands, one statement each, on a real PostgreSQL: what they write
 * and publish, their refusals, replays, and concurrent retries with one key (money moves once).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { idempotencyKey } from '../../lib/http/idempotency-key.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { paymentEvents } from '../payments/events.ts';
import { migrate } from './migrations.ts';
import { Conflict, CurrencyMismatch, NotFound, PaymentStore } from './store.ts';

let pool: pg.Pool;
let store: PaymentStore;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 10 });
  await migrate(pool);
  store = new PaymentStore(pool);
});
afterAll(() => pool?.end());

const keyFor = (body: unknown, header: string = randomUUID()) =>
  idempotencyKey(header, body, { scope: 'test' }) as NonNullable<ReturnType<typeof idempotencyKey>>;
const merchant = async (currency = 'EUR') => (await store.createMerchant({ name: 'Shop', email: 'Shop@Example.com', currency })).body.id;
/** The events the outbox holds for an entity, decoded as the ledger decodes them (contract checked). */
const published = async (subject: string) =>
  (
    await pool.query<{ key: string; value: string; headers: Record<string, string> }>(
      "SELECT key, value, headers FROM outbox WHERE headers->>'ce_subject' = $1 ORDER BY id",
      [subject],
    )
  ).rows.map((r) => paymentEvents.decode(r));
/** The statements `work` sends to PostgreSQL, on whichever pooled connections (a transaction's BEGIN and COMMIT included). */
async function statements(work: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const originals = new Map<pg.PoolClient, pg.PoolClient['query']>();
  const count = (client: pg.PoolClient) => {
    if (originals.has(client)) return;
    const query = client.query;
    originals.set(client, query);
    client.query = ((...args: unknown[]) => {
      const text = args[0] as string | { text: string };
      sent.push(typeof text === 'string' ? text : text.text);
      return (query as (...a: unknown[]) => unknown).apply(client, args);
    }) as typeof query;
  };
  pool.on('acquire', count);
  try {
    await work();
  } finally {
    pool.off('acquire', count);
    for (const [client, query] of originals) client.query = query;
  }
  return sent;
}

describe('payments write commands, one statement each', () => {
  it('create, complete and withdraw: one statement apiece, the answer as reads see it, the event the ledger can decode', async () => {
    const m = await merchant();
    let created: Awaited<ReturnType<typeof store.createPayment>> | undefined;
    let completed: Awaited<ReturnType<typeof store.completePayment>> | undefined;
    let requested: Awaited<ReturnType<typeof store.requestWithdrawal>> | undefined;
    const body = { amountMinor: 2_500, currency: 'EUR' };
    // One statement each: no BEGIN, no COMMIT, no second look.
    const one = [expect.stringMatching(/^WITH prior AS/)];
    expect(await statements(async () => (created = await store.createPayment(m, body, keyFor(body))))).toEqual(one);
    const id = created?.body.id as string;
    expect(await statements(async () => (completed = await store.completePayment(m, id, keyFor(null))))).toEqual(one);
    const withdrawal = { amountMinor: 700 };
    expect(await statements(async () => (requested = await store.requestWithdrawal(m, withdrawal, keyFor(withdrawal))))).toEqual(one);
    expect(created).toMatchObject({ status: 201, replayed: false, body: { status: 'created', amountMinor: 2_500, currency: 'EUR' } });
    expect(completed).toMatchObject({ status: 200, replayed: false });
    expect(completed?.body).toEqual({ ...(await store.payment(m, id)), status: 'completed' });
    expect(completed?.body.createdAt).toBe(created?.body.createdAt);
    expect(requested).toMatchObject({ status: 202, replayed: false, body: { status: 'requested', amountMinor: 700, currency: 'EUR' } });
    expect(requested?.body).toEqual(await store.withdrawal(m, requested?.body.id as string));
    expect((await published(id)).map((e) => [e.type, e.key, e.data])).toEqual([
      ['dev.eventide.payments.payment.created.v1', m, { paymentId: id, merchantId: m, amountMinor: 2_500, currency: 'EUR' }],
      ['dev.eventide.payments.payment.completed.v1', m, { paymentId: id, merchantId: m, amountMinor: 2_500, currency: 'EUR' }],
    ]);
    const withdrawalId = requested?.body.id as string;
    expect((await published(withdrawalId)).map((e) => e.data)).toEqual([
      { withdrawalId, merchantId: m, amountMinor: 700, currency: 'EUR' },
    ]);
  });

  it('refuses as before: unknown merchant or payment 404, another currency 422, completed already 409; nothing written', async () => {
    const m = await merchant();
    const body = { amountMinor: 100, currency: 'USD' };
    await expect(store.createPayment(m, body, keyFor(body))).rejects.toThrow(CurrencyMismatch);
    await expect(store.createPayment(m, body, keyFor(body))).rejects.toThrow(`merchant ${m} takes EUR, not USD`);
    await expect(store.createPayment(randomUUID(), { amountMinor: 1, currency: 'EUR' }, keyFor({}))).rejects.toThrow(NotFound);
    await expect(store.requestWithdrawal(randomUUID(), { amountMinor: 1 }, keyFor({}))).rejects.toThrow(NotFound);
    await expect(store.completePayment(m, randomUUID(), keyFor(null))).rejects.toThrow(NotFound);
    const theirs = await merchant();
    const payment = (await store.createPayment(theirs, { amountMinor: 100, currency: 'EUR' }, keyFor({}))).body;
    await expect(store.completePayment(m, payment.id, keyFor(null))).rejects.toThrow(NotFound);
    await store.completePayment(theirs, payment.id, keyFor(null));
    await expect(store.completePayment(theirs, payment.id, keyFor(null))).rejects.toThrow(Conflict);
    const written = await pool.query('SELECT (SELECT count(*) FROM payments WHERE merchant_id = $1)::int AS payments', [m]);
    expect(written.rows[0]).toEqual({ payments: 0 });
    expect(await published(payment.id)).toHaveLength(2);
  });

  it('a key replays its first answer, even after the payment moved on; another request with it is 422', async () => {
    const m = await merchant();
    const body = { amountMinor: 300, currency: 'EUR' };
    const key = keyFor(body);
    const created = await store.createPayment(m, body, key);
    const completion = keyFor(null);
    const completed = await store.completePayment(m, created.body.id, completion);
    expect(await store.createPayment(m, body, key)).toEqual({ ...created, replayed: true });
    expect(await store.completePayment(m, created.body.id, completion)).toEqual({ ...completed, replayed: true });
    const other = { amountMinor: 301, currency: 'EUR' };
    await expect(store.createPayment(m, other, keyFor(other, key.key.split('\n').at(-1)))).rejects.toMatchObject({
      problem: { status: 422 },
    });
    expect(await published(created.body.id)).toHaveLength(2);
  });

  /**
   * Runs `requests` while another transaction holds what they need (`hold`), until all of them
   * wait on it, then lets go: they race exactly where concurrent retries would.
   */
  async function behind<T>(hold: string, params: unknown[], requests: (() => Promise<T>)[]): Promise<T[]> {
    const blocker = await pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(hold, params);
      const answers = Promise.all(requests.map((request) => request()));
      // Asked on a connection of its own: inside the blocker's transaction the activity view would stay as first read.
      const waiting = async () =>
        (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          )
        ).rows[0]?.n;
      while ((await waiting()) !== requests.length) await new Promise((r) => setTimeout(r, 10));
      await blocker.query('ROLLBACK');
      return await answers;
    } finally {
      blocker.release();
    }
  }

  it('concurrent retries with one key move money once and all get the one answer', async () => {
    const m = await merchant();
    const body = { amountMinor: 400, currency: 'EUR' };
    const key = keyFor(body);
    const retries = <T>(request: () => Promise<T>) => Array.from({ length: 5 }, () => request);
    // The key taken by another request: each retry writes its payment, then waits on the key; one wins, the rest replay it.
    const takeKey = "INSERT INTO idempotency_keys (key, request_hash, status, body) VALUES ($1, 'other', 0, 'null')";
    const creates = await behind(
      takeKey,
      [key.key],
      retries(() => store.createPayment(m, body, key)),
    );
    expect(new Set(creates.map((a) => a.body.id)).size).toBe(1);
    expect(creates.filter((a) => !a.replayed)).toHaveLength(1);
    const id = creates[0]?.body.id as string;
    // The payment held: every retry waits on its row; one completes it, the rest find it completed — by their own key.
    const completion = keyFor(null);
    const completes = await behind(
      'SELECT 1 FROM payments WHERE id = $1 FOR UPDATE',
      [id],
      retries(() => store.completePayment(m, id, completion)),
    );
    expect(completes.map((a) => a.status)).toEqual(Array(5).fill(200));
    expect(completes.filter((a) => !a.replayed)).toHaveLength(1);
    expect(new Set(completes.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const withdrawal = keyFor({ amountMinor: 100 });
    const requests = await behind(
      takeKey,
      [withdrawal.key],
      retries(() => store.requestWithdrawal(m, { amountMinor: 100 }, withdrawal)),
    );
    expect(new Set(requests.map((a) => a.body.id)).size).toBe(1);
    const counts = await pool.query(
      `SELECT (SELECT count(*) FROM payments WHERE merchant_id = $1)::int AS payments,
              (SELECT count(*) FROM withdrawals WHERE merchant_id = $1)::int AS withdrawals,
              (SELECT count(*) FROM outbox WHERE key = $1::text)::int AS events`,
      [m],
    );
    expect(counts.rows[0]).toEqual({ payments: 1, withdrawals: 1, events: 3 });
  });
});
