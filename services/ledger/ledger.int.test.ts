// @needs postgres
/**
 * The ledger applying batches as sets, on a real PostgreSQL, through the handler service.ts
 * builds (eachBatchOnce with the inbox): partition order across completions and saga steps, a
 * refused event rejected alone, the statement-level zero-sum check, and redelivery.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eachBatchOnce } from '../../lib/consumer/each-batch.ts';
import type { DecodedEvent } from '../../lib/contracts.ts';
import { Inbox } from '../../lib/inbox.ts';
import { inTransaction } from '../../lib/pg.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { paymentContracts } from '../payments/events.ts';
import { balanceOf, Ledger } from './ledger.ts';
import { migrate } from './migrations.ts';

let db: pg.Pool;
const handler = () =>
  eachBatchOnce(new Inbox({ pool: db, group: 'ledger' }), (tx, events) =>
    new Ledger({ settlementWindowMs: 60_000 }).applyBatch(tx, events),
  );
const context = { partition: 0, heartbeat: async () => undefined };

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 3 });
  await migrate(db);
});
afterAll(() => db?.end());

/** An event of one merchant as the consumer decodes it. */
const eventOf =
  (merchantId: string) =>
  (contract: { type: string }, data: Record<string, unknown>): DecodedEvent =>
    ({ id: randomUUID(), type: contract.type, key: merchantId, data: { merchantId, currency: 'EUR', ...data } }) as unknown as DecodedEvent;
const completed = (merchantId: string, amountMinor: number, currency = 'EUR') =>
  eventOf(merchantId)(paymentContracts.paymentCompleted, { paymentId: randomUUID(), amountMinor, currency });
const requested = (merchantId: string, amountMinor: number, withdrawalId = randomUUID()) =>
  eventOf(merchantId)(paymentContracts.withdrawalRequested, { withdrawalId, amountMinor });
const published = async () =>
  (await db.query<{ type: string }>("SELECT headers->>'ce_type' AS type FROM outbox ORDER BY id")).rows.map((r) =>
    r.type.split('.').at(-2),
  );
const journalOf = async (merchantId: string) =>
  (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM journal_transactions WHERE merchant_id = $1', [merchantId])).rows[0]?.n;

describe('the ledger applies a batch as a set', () => {
  it('keeps partition order: a withdrawal sees the completions before it in the batch, not those after', async () => {
    const [m, n] = [randomUUID(), randomUUID()];
    await db.query('DELETE FROM outbox');
    // m: 900 credited before its withdrawal of 800 (approved); n: 500 before its 800 (rejected), 400 after.
    const outcomes = await handler()(
      [completed(m, 500), completed(n, 500), completed(m, 400), requested(m, 800), requested(n, 800), completed(m, 100), completed(n, 400)],
      context,
    );
    expect(outcomes).toEqual(Array(7).fill(undefined));
    expect(await balanceOf(db, m)).toMatchObject({ availableMinor: 200, reservedMinor: 800 });
    expect(await balanceOf(db, n)).toMatchObject({ availableMinor: 900, reservedMinor: 0 });
    expect(await published()).toEqual(['approved', 'rejected']);
    // m: three completions and the reservation; n: two completions.
    expect([await journalOf(m), await journalOf(n)]).toEqual([4, 2]);
  });

  it('a batch with an event in another currency rejects only that event; the rest is applied', async () => {
    const m = randomUUID();
    const events = [completed(m, 300), completed(m, 50, 'USD'), completed(m, 200), requested(m, 450)];
    const outcomes = await handler()(events, context);
    expect(outcomes?.map((o) => o?.reject)).toEqual([undefined, `merchant ${m} keeps EUR, not USD`, undefined, undefined]);
    expect(await balanceOf(db, m)).toMatchObject({ currency: 'EUR', availableMinor: 50, reservedMinor: 450 });
    const recorded = await db.query('SELECT event_id FROM inbox WHERE event_id = ANY($1)', [events.map((e) => e.id)]);
    // The rejected event is not recorded as applied: its retries and the dead letter are the consumer's.
    expect(recorded.rows.map((r) => r.event_id).sort()).toEqual([events[0], events[2], events[3]].map((e) => e?.id).sort());
  });

  it('redelivery of a batch applies nothing twice', async () => {
    const m = randomUUID();
    await db.query('DELETE FROM outbox');
    const events = [completed(m, 1_000), requested(m, 600), completed(m, 5)];
    await handler()(events, context);
    const before = { balance: await balanceOf(db, m), journal: await journalOf(m), published: await published() };
    // The same batch again, then a batch overlapping it (a rebalance's redelivery from an older offset).
    await handler()(events, context);
    await handler()([...events.slice(1), completed(m, 7)], context);
    expect(await balanceOf(db, m)).toEqual({ ...before.balance, availableMinor: 412 });
    expect(await journalOf(m)).toBe((before.journal ?? 0) + 1);
    expect(await published()).toEqual(before.published);
    expect(before.published).toEqual(['approved']);
  });
});

describe('lines sum to zero, checked once per statement', () => {
  const transaction = async (tx: pg.PoolClient, merchantId: string) => {
    const id = randomUUID();
    await tx.query("INSERT INTO journal_transactions (id, event_id, merchant_id, description) VALUES ($1, 'test', $2, 'test')", [
      id,
      merchantId,
    ]);
    return id;
  };
  const lines = (tx: pg.PoolClient, rows: [string, string, number][]) =>
    tx.query('INSERT INTO journal_lines (transaction_id, account, amount) SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])', [
      rows.map((r) => r[0]),
      rows.map((r) => r[1]),
      rows.map((r) => r[2]),
    ]);

  it('refuses a statement in which one transaction of several does not sum to zero, and takes a balanced one', async () => {
    const m = randomUUID();
    let unbalanced = '';
    const refused = await inTransaction(db, async (tx) => {
      const [a, b] = [await transaction(tx, m), await transaction(tx, m)];
      unbalanced = b;
      await lines(tx, [
        [a, 'external:payments', -100],
        [a, `merchant:${m}:available`, 100],
        [b, 'external:payments', -100],
        [b, `merchant:${m}:available`, 99],
      ]);
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: '23514', message: `journal transaction ${unbalanced} does not sum to zero` });
    // Half a transaction per statement is refused too, even if the next statement would balance it.
    await expect(
      inTransaction(db, async (tx) => {
        const a = await transaction(tx, m);
        await lines(tx, [[a, 'external:payments', -100]]);
        await lines(tx, [[a, `merchant:${m}:available`, 100]]);
      }),
    ).rejects.toThrow(/does not sum to zero/);
    await inTransaction(db, async (tx) => {
      const [a, b] = [await transaction(tx, m), await transaction(tx, m)];
      await lines(tx, [
        [a, 'external:payments', -100],
        [a, `merchant:${m}:available`, 100],
        [b, 'external:payments', -7],
        [b, `merchant:${m}:available`, 7],
      ]);
    });
    expect(await journalOf(m)).toBe(2);
  });
});
