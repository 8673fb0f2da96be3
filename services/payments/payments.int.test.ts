// @needs kafka postgres
/**
 * Payments and the ledger on real Kafka and PostgreSQL, both services in this process as their
 * mains start them: money in, money out through the withdrawal saga, bad input, idempotency keys,
 * redeliveries, and the invariants (every journal transaction sums to zero; available + reserved
 * = completed payments − settled withdrawals; no negative balance).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../devkit/ports.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import type { DecodedEvent } from '../../lib/contracts.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { inTransaction } from '../../lib/pg.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { ledgerConfig } from '../ledger/config.ts';
import { ledgerTopic } from '../ledger/events.ts';
import { balanceOf, Ledger } from '../ledger/ledger.ts';
import { migrate as migrateLedger } from '../ledger/migrations.ts';
import { fromEvents, fromLedger, fromPayments, reconcile } from '../ledger/reconcile.ts';
import { startLedger } from '../ledger/service.ts';
import { paymentsConfig } from './config.ts';
import { paymentContracts, paymentsTopic } from './events.ts';
import { startPayments } from './service.ts';

const brokers = inject('kafkaBrokers');
const kafka = kafkaClient({ clientId: 'payments-test', brokers: brokers.split(',') });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const suffix = randomUUID().slice(0, 8);
const groups = { ledger: `ledger-${suffix}`, payments: `payments-${suffix}` };
const quiet = (name: string) => createLogger(name, 'warn');
const exit = (code: number, reason: string) => {
  throw new Error(`a service asked to exit ${code}: ${reason}`);
};

let payments: Awaited<ReturnType<typeof startPayments>>;
let ledger: Awaited<ReturnType<typeof startLedger>>;
let ledgerDb: pg.Pool;
let paymentsDb: pg.Pool;
let issuer: TokenIssuer;
/** The platform administrator's and the payment provider's headers: most requests below are theirs. */
let as: { admin: Record<string, string>; provider: Record<string, string> };

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A POST as the platform administrator, a completion as the provider, unless `caller` says otherwise. */
const post = (path: string, body: unknown, key: string | null = randomUUID(), caller?: Record<string, string>) =>
  payments.app.request(`/api/v1${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(caller ?? (path.endsWith('/complete') ? as.provider : as.admin)),
      ...(key ? { 'idempotency-key': key } : {}),
    },
  });
const get = (app: { request: (path: string, init?: RequestInit) => Response | Promise<Response> }, path: string, caller = as.admin) =>
  app.request(`/api/v1${path}`, { headers: caller });
const json = async <T>(response: Response | Promise<Response>, status: number): Promise<T> => {
  const r = await response;
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return JSON.parse(text) as T;
};
const merchant = async (currency = 'EUR') =>
  (await json<{ id: string }>(post('/merchants', { name: 'Kiosk', email: 'kiosk@shop.example', currency }), 201)).id;
async function paidIn(merchantId: string, amountMinor: number) {
  const payment = await json<{ id: string }>(post(`/merchants/${merchantId}/payments`, { amountMinor, currency: 'EUR' }), 201);
  await json(post(`/merchants/${merchantId}/payments/${payment.id}/complete`, null), 200);
  return payment.id;
}
const balance = (merchantId: string) => balanceOf(ledgerDb, merchantId);
const withdrawalsOf = async (merchantId: string) =>
  (await paymentsDb.query('SELECT id FROM withdrawals WHERE merchant_id = $1', [merchantId])).rows;
const withdrawal = async (merchantId: string, id: string) =>
  json<{ status: string; reason?: string }>(get(payments.app, `/merchants/${merchantId}/withdrawals/${id}`), 200);

/** The invariants, for every merchant the ledger knows. */
async function invariants() {
  const unbalanced = await ledgerDb.query('SELECT transaction_id FROM journal_lines GROUP BY transaction_id HAVING sum(amount) <> 0');
  const negative = await ledgerDb.query('SELECT * FROM accounts WHERE balance < 0');
  const held = await ledgerDb.query<{ merchant_id: string; held: string }>(
    'SELECT merchant_id, sum(balance)::text AS held FROM accounts GROUP BY merchant_id',
  );
  const owed = await paymentsDb.query<{ merchant_id: string; owed: string }>(
    `SELECT m.id AS merchant_id,
            ((SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.merchant_id = m.id AND p.status = 'completed')
           - (SELECT coalesce(sum(amount), 0) FROM withdrawals w WHERE w.merchant_id = m.id AND w.status = 'settled'))::text AS owed
     FROM merchants m`,
  );
  const owedBy = new Map(owed.rows.map((r) => [r.merchant_id, r.owed]));
  return {
    unbalanced: unbalanced.rowCount,
    negative: negative.rowCount,
    drift: held.rows
      .filter((r) => owedBy.get(r.merchant_id) !== r.held)
      .map((r) => `${r.merchant_id}: ledger ${r.held}, payments ${owedBy.get(r.merchant_id)}`),
  };
}

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  const existing = await admin.listTopics();
  await admin.createTopics({
    topics: [paymentsTopic, ledgerTopic, `${groups.ledger}.dlq`, `${groups.payments}.dlq`]
      .filter((t) => !existing.includes(t))
      .map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : 3, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  issuer = await startTokenIssuer();
  as = { admin: await issuer.bearer(principals.platformAdmin()), provider: await issuer.bearer(principals.provider()) };
  const server = inject('databaseUrl');
  const ledgerUrl = await freshDatabase(server);
  const paymentsUrl = await freshDatabase(server);
  ledger = await startLedger({
    config: loadConfig('ledger', ledgerConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: ledgerUrl,
      PORT: String(await freePort()),
      KAFKA_GROUP_ID: groups.ledger,
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: quiet('ledger'),
    exit,
  });
  payments = await startPayments({
    config: loadConfig('payments', paymentsConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: paymentsUrl,
      PORT: String(await freePort()),
      KAFKA_GROUP_ID: groups.payments,
      MAX_AMOUNT_MINOR: '1000000',
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: quiet('payments'),
    exit,
  });
  ledgerDb = new pg.Pool({ connectionString: ledgerUrl, max: 3 });
  paymentsDb = new pg.Pool({ connectionString: paymentsUrl, max: 3 });
  await eventually(async () => (await payments.app.request('/readyz')).status === 200, 'payments ready');
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([payments?.stop(), ledger?.stop()]);
  await Promise.allSettled([producer.disconnect(), admin.disconnect(), ledgerDb?.end(), paymentsDb?.end(), issuer?.stop()]);
});

describe('payments and the ledger on real Kafka and PostgreSQL', () => {
  it('a completed payment credits available; a covered withdrawal is reserved, settled and paid out', async () => {
    const m = await merchant();
    await paidIn(m, 10_000);
    await eventually(async () => (await balance(m))?.availableMinor === 10_000, 'the payment credited');
    const w = await json<{ id: string; status: string }>(post(`/merchants/${m}/withdrawals`, { amountMinor: 3_000 }), 202);
    expect(w.status).toBe('requested');
    await eventually(async () => (await withdrawal(m, w.id)).status === 'settled', 'the withdrawal settled');
    await eventually(async () => {
      const b = await balance(m);
      return b?.availableMinor === 7_000 && b.reservedMinor === 0;
    }, 'the payout debited from the reservation');
    const entries = await json<{ items: { lines: { account: string; amountMinor: number }[] }[] }>(
      get(ledger.app, `/merchants/${m}/entries`),
      200,
    );
    expect(entries.items.map((e) => e.lines.reduce((sum, l) => sum + l.amountMinor, 0))).toEqual([0, 0, 0]);
    expect(await invariants()).toEqual({ unbalanced: 0, negative: 0, drift: [] });
  });

  it('a withdrawal over the balance is accepted (202), then rejected by the saga: never a negative balance', async () => {
    const m = await merchant();
    await paidIn(m, 1_000);
    const w = await json<{ id: string }>(post(`/merchants/${m}/withdrawals`, { amountMinor: 1_001 }), 202);
    const rejected = await eventually(async () => {
      const now = await withdrawal(m, w.id);
      return now.status === 'rejected' && now;
    }, 'the withdrawal rejected');
    expect(rejected.reason).toMatch(/insufficient funds/);
    expect(await balance(m)).toMatchObject({ availableMinor: 1_000, reservedMinor: 0 });
  });

  it('bad input: 400 for amounts, 422 for another currency or a reused key, 404, 409; never a 500', async () => {
    const m = await merchant();
    for (const amountMinor of [0, -5, 12.5, 1_000_001, '100'])
      expect((await post(`/merchants/${m}/payments`, { amountMinor, currency: 'EUR' })).status, String(amountMinor)).toBe(400);
    expect((await post(`/merchants/${m}/payments`, { amountMinor: 100, currency: 'USD' })).status).toBe(422);
    expect((await post(`/merchants/${m}/payments`, { amountMinor: 100, currency: 'EUR' }, null)).status).toBe(400);
    expect((await post(`/merchants/${randomUUID()}/payments`, { amountMinor: 100, currency: 'EUR' })).status).toBe(404);
    expect((await post('/merchants/nope/withdrawals', { amountMinor: 100 })).status).toBe(404);
    const key = randomUUID();
    const first = await json<{ id: string }>(post(`/merchants/${m}/payments`, { amountMinor: 100, currency: 'EUR' }, key), 201);
    const again = await post(`/merchants/${m}/payments`, { amountMinor: 100, currency: 'EUR' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    expect((await post(`/merchants/${m}/payments`, { amountMinor: 200, currency: 'EUR' }, key)).status).toBe(422);
    await json(post(`/merchants/${m}/payments/${first.id}/complete`, null), 200);
    expect((await post(`/merchants/${m}/payments/${first.id}/complete`, null)).status).toBe(409);
    // Lists page with cursors; a cursor that is not an id is 400.
    await merchant();
    const page = await json<{ items: unknown[]; nextCursor?: string }>(get(payments.app, '/merchants?limit=2'), 200);
    expect(page.items).toHaveLength(2);
    expect((await get(payments.app, `/merchants?limit=2&cursor=${page.nextCursor}`)).status).toBe(200);
    expect((await get(payments.app, '/merchants?cursor=zzz')).status).toBe(400);
    expect((await json<{ items: unknown[] }>(get(payments.app, `/merchants/${m}/payments`), 200)).items).toHaveLength(1);
    const count = await paymentsDb.query('SELECT count(*)::int AS n FROM payments WHERE merchant_id = $1', [m]);
    expect(count.rows[0].n).toBe(1);
  });

  it('a redelivered completion credits once', async () => {
    const m = await merchant();
    const paymentId = await paidIn(m, 2_500);
    await eventually(async () => (await balance(m))?.availableMinor === 2_500, 'the payment credited');
    const { rows } = await paymentsDb.query<{ key: string; value: string; headers: Record<string, string>; topic: string }>(
      "SELECT topic, key, value, headers FROM outbox WHERE headers->>'ce_type' = $1 AND value::jsonb->>'paymentId' = $2",
      [paymentContracts.paymentCompleted.type, paymentId],
    );
    expect(rows).toHaveLength(1);
    const record = rows[0] as { key: string; value: string; headers: Record<string, string>; topic: string };
    await producer.send({ topic: record.topic, acks: -1, messages: [record, record] });
    const marker = await merchant();
    await paidIn(marker, 1);
    await eventually(async () => (await balance(marker))?.availableMinor === 1, 'a later event applied');
    expect((await balance(m))?.availableMinor).toBe(2_500);
    expect(await invariants()).toEqual({ unbalanced: 0, negative: 0, drift: [] });
  });
});

describe('who may call payments and the ledger', () => {
  it('401 on every payments and ledger route without a token, and with a forged one', async () => {
    const m = await merchant();
    const id = randomUUID();
    const routes: [typeof payments.app, string, string][] = [
      [payments.app, 'POST', '/merchants'],
      [payments.app, 'GET', '/merchants'],
      [payments.app, 'GET', `/merchants/${m}`],
      [payments.app, 'POST', `/merchants/${m}/payments`],
      [payments.app, 'GET', `/merchants/${m}/payments`],
      [payments.app, 'GET', `/merchants/${m}/payments/${id}`],
      [payments.app, 'POST', `/merchants/${m}/payments/${id}/complete`],
      [payments.app, 'POST', `/merchants/${m}/withdrawals`],
      [payments.app, 'GET', `/merchants/${m}/withdrawals`],
      [payments.app, 'GET', `/merchants/${m}/withdrawals/${id}`],
      [ledger.app, 'GET', `/merchants/${m}/balance`],
      [ledger.app, 'GET', `/merchants/${m}/entries`],
    ];
    const forged = `${as.admin.authorization?.slice(0, -4)}AAAA`;
    for (const [app, method, path] of routes) {
      for (const headers of [{}, { authorization: forged }, { authorization: 'Basic YWRtaW46YWRtaW4=' }]) {
        const response = await app.request(`/api/v1${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
          ...(method === 'POST' ? { body: '{"amountMinor":100,"currency":"EUR","name":"x","email":"x@y.example"}' } : {}),
        });
        expect(response.status, `${method} ${path}`).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    const count = await paymentsDb.query('SELECT count(*)::int AS n FROM payments WHERE merchant_id = $1', [m]);
    expect(count.rows[0].n).toBe(0);
  });

  it("a merchant's token reaches its own merchant only: another's money, balance and entries are 404, as unknown ones", async () => {
    const [mine, theirs] = [await merchant(), await merchant()];
    await paidIn(theirs, 5_000);
    await eventually(async () => (await balance(theirs))?.availableMinor === 5_000, 'the payment credited');
    const own = await issuer.bearer(principals.merchant(mine));
    const theirPayment = (await json<{ items: { id: string }[] }>(get(payments.app, `/merchants/${theirs}/payments`), 200)).items[0]?.id;
    for (const [app, path] of [
      [payments.app, `/merchants/${theirs}`],
      [payments.app, `/merchants/${theirs}/payments`],
      [payments.app, `/merchants/${theirs}/payments/${theirPayment}`],
      [payments.app, `/merchants/${theirs}/withdrawals`],
      [ledger.app, `/merchants/${theirs}/balance`],
      [ledger.app, `/merchants/${theirs}/entries`],
    ] as const) {
      const response = await get(app, path, own);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain('5000');
    }
    expect((await post(`/merchants/${theirs}/withdrawals`, { amountMinor: 5_000 }, randomUUID(), own)).status).toBe(404);
    expect((await post(`/merchants/${theirs}/payments`, { amountMinor: 5, currency: 'EUR' }, randomUUID(), own)).status).toBe(404);
    // Its own merchant it reaches, with either letter case of its id.
    expect((await get(payments.app, `/merchants/${mine.toUpperCase()}`, own)).status).toBe(200);
    expect((await post(`/merchants/${mine}/payments`, { amountMinor: 5, currency: 'EUR' }, randomUUID(), own)).status).toBe(201);
    // Merchants are created and listed by the platform administrator alone.
    expect((await post('/merchants', { name: 'Mine too', email: 'a@b.example', currency: 'EUR' }, null, own)).status).toBe(403);
    expect((await get(payments.app, '/merchants', own)).status).toBe(403);
    expect((await withdrawalsOf(theirs)).length).toBe(0);
  });

  it('only the payment provider completes a payment: not the merchant, not even a platform administrator', async () => {
    const m = await merchant();
    const own = await issuer.bearer(principals.merchant(m));
    const payment = await json<{ id: string }>(
      post(`/merchants/${m}/payments`, { amountMinor: 700, currency: 'EUR' }, randomUUID(), own),
      201,
    );
    for (const caller of [own, as.admin]) {
      const refused = await post(`/merchants/${m}/payments/${payment.id}/complete`, null, randomUUID(), caller);
      expect(refused.status).toBe(403);
    }
    expect((await json<{ status: string }>(get(payments.app, `/merchants/${m}/payments/${payment.id}`, own), 200)).status).toBe('created');
    await json(post(`/merchants/${m}/payments/${payment.id}/complete`, null), 200);
    await eventually(async () => (await balance(m))?.availableMinor === 700, 'the completion credited');
  });

  it('Idempotency-Keys live per merchant, and a retry with its fields reordered or its id in capitals is the same request', async () => {
    const [a, b] = [await merchant(), await merchant()];
    const [asA, asB] = [await issuer.bearer(principals.merchant(a)), await issuer.bearer(principals.merchant(b))];
    const key = randomUUID();
    const first = await json<{ id: string }>(post(`/merchants/${a}/payments`, { amountMinor: 100, currency: 'EUR' }, key, asA), 201);
    const other = await post(`/merchants/${b}/payments`, { amountMinor: 100, currency: 'EUR' }, key, asB);
    expect(other.status).toBe(201);
    expect(((await other.json()) as { id: string }).id).not.toBe(first.id);
    const reordered = await payments.app.request(`/api/v1/merchants/${a.toUpperCase()}/payments`, {
      method: 'POST',
      body: '{"currency":"EUR","amountMinor":100}',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...asA },
    });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    expect(((await reordered.json()) as { id: string }).id).toBe(first.id);
  });

  it("payments reads what happened from the event's type: a `kind` inside the data cannot turn a rejection into a payout", async () => {
    const m = await merchant();
    // A withdrawal the ledger never heard of, so no real answer races the forged one.
    const withdrawalId = randomUUID();
    await paymentsDb.query("INSERT INTO withdrawals (id, merchant_id, amount, currency, status) VALUES ($1, $2, 900, 'EUR', 'requested')", [
      withdrawalId,
      m,
    ]);
    await producer.send({
      topic: ledgerTopic,
      acks: -1,
      messages: [
        {
          key: m,
          value: JSON.stringify({
            withdrawalId,
            merchantId: m,
            amountMinor: 900,
            reason: 'insufficient funds',
            kind: 'approved',
            settleBy: new Date(Date.now() + 3_600_000).toISOString(),
          }),
          headers: {
            ce_specversion: '1.0',
            ce_id: randomUUID(),
            ce_type: 'dev.eventide.ledger.withdrawal.rejected.v1',
            ce_source: '/ledger',
            ce_subject: withdrawalId,
            ce_time: new Date().toISOString(),
            'content-type': 'application/json',
          },
        },
      ],
    });
    const answered = await eventually(async () => {
      const now = await withdrawal(m, withdrawalId);
      return now.status !== 'requested' && now;
    }, 'the forged answer applied');
    expect(answered.status).toBe('rejected');
    const settled = await paymentsDb.query("SELECT 1 FROM outbox WHERE headers->>'ce_type' = $1 AND value::jsonb->>'withdrawalId' = $2", [
      paymentContracts.withdrawalSettled.type,
      withdrawalId,
    ]);
    expect(settled.rowCount).toBe(0);
  });
});

describe('reconciliation', () => {
  it('finds the journal, the balances, the payments database and payments.events in agreement, and a drift when there is one', async () => {
    await eventually(
      async () => (await paymentsDb.query('SELECT 1 FROM outbox WHERE sent_at IS NULL')).rowCount === 0,
      'the outbox drained',
    );
    const read = async () => {
      const [books, owed, events] = await Promise.all([fromLedger(ledgerDb), fromPayments(paymentsDb), fromEvents(kafka)]);
      return {
        drift: reconcile({ journal: books.journal, accounts: books.accounts, payments: owed, events: events.holdings }),
        books,
        events,
      };
    };
    const agreed = await eventually(async () => {
      const now = await read();
      return now.drift.length === 0 && now;
    }, 'the books to agree');
    expect(agreed.books).toMatchObject({ unbalanced: 0, negative: 0 });
    expect(agreed.events.duplicates).toBe(2);
    // A settled withdrawal the ledger never saw is a drift of exactly its amount.
    const m = (await paymentsDb.query<{ id: string }>('SELECT id FROM merchants LIMIT 1')).rows[0]?.id;
    await paymentsDb.query("INSERT INTO withdrawals (id, merchant_id, amount, currency, status) VALUES ($1, $2, 7, 'EUR', 'settled')", [
      randomUUID(),
      m,
    ]);
    const drifted = await read();
    expect(drifted.drift).toHaveLength(1);
    const [only] = drifted.drift;
    expect((only?.values.journal ?? 0) - (only?.values.payments ?? 0)).toBe(7);
  });
});

describe('the saga on the ledger alone (real PostgreSQL)', () => {
  const ledgerAlone = async (work: (book: Ledger, db: pg.Pool) => Promise<void>) => {
    const db = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 2 });
    try {
      await migrateLedger(db);
      await work(new Ledger({ settlementWindowMs: 0 }), db);
    } finally {
      await db.end();
    }
  };
  const eventOf = (merchantId: string) => (contract: { type: string }, data: Record<string, unknown>) =>
    ({ id: randomUUID(), type: contract.type, key: merchantId, data: { merchantId, currency: 'EUR', ...data } }) as unknown as DecodedEvent;

  it("a reservation is released only by payments' withdrawal.expired, never by the clock; a settlement after it is refused", async () => {
    await ledgerAlone(async (book, db) => {
      const merchantId = randomUUID();
      const withdrawalId = randomUUID();
      const event = eventOf(merchantId);
      const apply = (e: DecodedEvent) => inTransaction(db, (tx) => book.applyBatch(tx, [e]));
      await apply(event(paymentContracts.paymentCompleted, { paymentId: randomUUID(), amountMinor: 900 }));
      await apply(event(paymentContracts.withdrawalRequested, { withdrawalId, amountMinor: 600 }));
      // The window (0 ms) is long past: still reserved, for only payments may call it expired.
      await new Promise((r) => setTimeout(r, 50));
      expect(await balanceOf(db, merchantId)).toMatchObject({ availableMinor: 300, reservedMinor: 600 });
      await apply(event(paymentContracts.withdrawalExpired, { withdrawalId, amountMinor: 600 }));
      expect(await balanceOf(db, merchantId)).toMatchObject({ availableMinor: 900, reservedMinor: 0 });
      await apply(event(paymentContracts.withdrawalExpired, { withdrawalId, amountMinor: 600 }));
      expect(await balanceOf(db, merchantId)).toMatchObject({ availableMinor: 900, reservedMinor: 0 });
      const published = await db.query<{ headers: { ce_type: string } }>('SELECT headers FROM outbox ORDER BY id');
      expect(published.rows.map((r) => r.headers.ce_type)).toEqual([
        'dev.eventide.ledger.withdrawal.approved.v1',
        'dev.eventide.ledger.withdrawal.failed.v1',
      ]);
      await expect(apply(event(paymentContracts.withdrawalSettled, { withdrawalId, amountMinor: 600 }))).rejects.toThrow(/is failed/);
      // A withdrawal the ledger never approved can be neither settled nor expired, and nothing moves.
      await expect(apply(event(paymentContracts.withdrawalSettled, { withdrawalId: randomUUID(), amountMinor: 100 }))).rejects.toThrow(
        /never approved/,
      );
      expect(await balanceOf(db, merchantId)).toMatchObject({ availableMinor: 900, reservedMinor: 0 });
      const sums = await db.query('SELECT transaction_id FROM journal_lines GROUP BY transaction_id HAVING sum(amount) <> 0');
      expect(sums.rowCount).toBe(0);
      // The database itself refuses a negative balance and an unbalanced transaction.
      await expect(db.query("UPDATE accounts SET balance = -1 WHERE kind = 'available'")).rejects.toThrow(/balance_never_negative/);
      await expect(
        inTransaction(db, async (tx) => {
          const id = randomUUID();
          await tx.query("INSERT INTO journal_transactions (id, event_id, merchant_id, description) VALUES ($1, 'x', $2, 'bad')", [
            id,
            merchantId,
          ]);
          await tx.query("INSERT INTO journal_lines (transaction_id, account, amount) VALUES ($1, 'external:payments', 5)", [id]);
        }),
      ).rejects.toThrow(/does not sum to zero/);
    });
  });

  it("a settlement naming another merchant than the withdrawal's is refused: it never pays out of that merchant's reservation", async () => {
    await ledgerAlone(async (book, db) => {
      const [a, b] = [randomUUID(), randomUUID()];
      const [wa, wb] = [randomUUID(), randomUUID()];
      const apply = (e: DecodedEvent) => inTransaction(db, (tx) => book.applyBatch(tx, [e]));
      for (const [merchantId, withdrawalId] of [
        [a, wa],
        [b, wb],
      ] as const) {
        await apply(eventOf(merchantId)(paymentContracts.paymentCompleted, { paymentId: randomUUID(), amountMinor: 900 }));
        await apply(eventOf(merchantId)(paymentContracts.withdrawalRequested, { withdrawalId, amountMinor: 600 }));
      }
      await expect(apply(eventOf(b)(paymentContracts.withdrawalSettled, { withdrawalId: wa, amountMinor: 600 }))).rejects.toThrow(
        /another merchant/,
      );
      expect(await balanceOf(db, a)).toMatchObject({ availableMinor: 300, reservedMinor: 600 });
      expect(await balanceOf(db, b)).toMatchObject({ availableMinor: 300, reservedMinor: 600 });
    });
  });
});

describe('what the ledger refuses', () => {
  it('a malformed record, another currency and a settlement never approved go to ledger.dlq with their reasons; nothing moves', async () => {
    const reasons: string[] = [];
    const reader = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: `${groups.ledger}.dlq`, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void reasons.push(message.headers?.['dlq-reason']?.toString() ?? '') });
    try {
      const m = await merchant();
      await paidIn(m, 500);
      await eventually(async () => (await balance(m))?.availableMinor === 500, 'the payment credited');
      const event = (type: string, data: Record<string, unknown>) => ({
        key: m,
        value: JSON.stringify({ merchantId: m, ...data }),
        headers: {
          ce_specversion: '1.0',
          ce_id: randomUUID(),
          ce_type: type,
          ce_source: '/payments',
          ce_subject: String(data.withdrawalId ?? data.paymentId),
          ce_time: new Date().toISOString(),
          'content-type': 'application/json',
        },
      });
      await producer.send({
        topic: paymentsTopic,
        acks: -1,
        messages: [
          { key: m, value: '{"not":', headers: { ce_type: paymentContracts.paymentCompleted.type } },
          event(paymentContracts.paymentCompleted.type, { paymentId: randomUUID(), amountMinor: 100, currency: 'USD' }),
          event(paymentContracts.withdrawalSettled.type, { withdrawalId: randomUUID(), amountMinor: 100, currency: 'EUR' }),
        ],
      });
      await eventually(async () => reasons.length >= 3, 'three dead letters', 60_000);
      const all = reasons.join('\n');
      expect(all).toMatch(/keeps EUR, not USD/);
      expect(all).toMatch(/never approved/);
      expect(await balance(m)).toMatchObject({ availableMinor: 500, reservedMinor: 0 });
    } finally {
      await reader.disconnect();
    }
  });
});
