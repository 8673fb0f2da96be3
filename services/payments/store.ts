import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { encodeEvent } from '../../lib/contracts.ts';
import { type IdempotencyKey, replayOrMismatch } from '../../lib/idempotency.ts';
import { Outbox } from '../../lib/outbox.ts';
import { inTransaction } from '../../lib/pg.ts';
import { paymentContracts } from './events.ts';
import { minorFromDb } from './money.ts';

export class NotFound extends Error {}
/** 409: the request conflicts with the resource's state (a payment completed already). */
export class Conflict extends Error {}
/** 422: a currency other than the merchant's. */
export class CurrencyMismatch extends Error {}

interface MerchantRow {
  id: string;
  name: string;
  email: string;
  currency: string;
  created_at: Date;
}
interface MovementRow {
  id: string;
  merchant_id: string;
  amount: string;
  currency: string;
  status: string;
  reason?: string | null;
  created_at: Date;
  completed_at?: Date | null;
  updated_at?: Date;
}

const merchantOf = (r: MerchantRow) => ({
  id: r.id,
  name: r.name,
  email: r.email,
  currency: r.currency,
  createdAt: r.created_at.toISOString(),
});
const paymentOf = (r: MovementRow) => ({
  id: r.id,
  merchantId: r.merchant_id,
  amountMinor: minorFromDb(r.amount),
  currency: r.currency,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  ...(r.completed_at ? { completedAt: r.completed_at.toISOString() } : {}),
});
const withdrawalOf = (r: MovementRow) => ({
  id: r.id,
  merchantId: r.merchant_id,
  amountMinor: minorFromDb(r.amount),
  currency: r.currency,
  status: r.status,
  ...(r.reason ? { reason: r.reason } : {}),
  createdAt: r.created_at.toISOString(),
  updatedAt: (r.updated_at ?? r.created_at).toISOString(),
});
export type Merchant = ReturnType<typeof merchantOf>;
export type Payment = ReturnType<typeof paymentOf>;
export type Withdrawal = ReturnType<typeof withdrawalOf>;

export interface Answer<T> {
  status: number;
  body: T;
  replayed: boolean;
}

/**
 * Merchants, payments and withdrawals in PostgreSQL. Every money movement writes its row, its event
 * (the outbox) and — with an Idempotency-Key — the key and the answer in one transaction: a retry
 * gets the first answer back and moves nothing; a committed movement always reaches the ledger.
 */
export class PaymentStore {
  private readonly pool: pg.Pool;
  private readonly outbox: Outbox;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor(pool: pg.Pool, outbox = new Outbox()) {
    this.pool = pool;
    this.outbox = outbox;
  }

  /** Runs `work` once per key: the key row is taken first, so a concurrent retry waits and then replays. */
  private idempotent<T>(key: IdempotencyKey | undefined, status: number, work: (tx: pg.PoolClient) => Promise<T>): Promise<Answer<T>> {
    return inTransaction(this.pool, async (tx) => {
      if (key) {
        const taken = await tx.query(
          `INSERT INTO idempotency_keys (key, request_hash, status, body) VALUES ($1, $2, 0, 'null') ON CONFLICT DO NOTHING`,
          [key.key, key.hash],
        );
        if (taken.rowCount === 0) {
          const { rows } = await tx.query<{ request_hash: string; status: number; body: T }>(
            'SELECT request_hash, status, body FROM idempotency_keys WHERE key = $1',
            [key.key],
          );
          const stored = rows[0] as { request_hash: string; status: number; body: T };
          return { status: stored.status, body: replayOrMismatch({ hash: stored.request_hash, answer: stored.body }, key), replayed: true };
        }
      }
      const body = await work(tx);
      if (key) await tx.query('UPDATE idempotency_keys SET status = $2, body = $3 WHERE key = $1', [key.key, status, JSON.stringify(body)]);
      return { status, body, replayed: false };
    });
  }

  createMerchant(input: { name: string; email: string; currency: string }, key?: IdempotencyKey): Promise<Answer<Merchant>> {
    return this.idempotent(key, 201, async (tx) => {
      const { rows } = await tx.query<MerchantRow>(
        'INSERT INTO merchants (id, name, email, currency) VALUES ($1, $2, $3, $4) RETURNING *',
        [randomUUID(), input.name, input.email.toLowerCase(), input.currency],
      );
      return merchantOf(rows[0] as MerchantRow);
    });
  }

  async merchant(id: string): Promise<Merchant | undefined> {
    const { rows } = await this.pool.query<MerchantRow>('SELECT * FROM merchants WHERE id = $1', [id]);
    return rows[0] ? merchantOf(rows[0]) : undefined;
  }

  async merchants(limit: number, after?: string): Promise<{ items: Merchant[]; nextCursor?: string }> {
    const { rows } = await this.pool.query<MerchantRow>(
      'SELECT * FROM merchants WHERE ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2',
      [after ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(merchantOf);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, nextCursor: last.id } : { items };
  }

  private async lockMerchant(tx: pg.PoolClient, id: string): Promise<MerchantRow> {
    const { rows } = await tx.query<MerchantRow>('SELECT * FROM merchants WHERE id = $1 FOR SHARE', [id]);
    if (!rows[0]) throw new NotFound(`no merchant ${id}`);
    return rows[0];
  }

  createPayment(merchantId: string, input: { amountMinor: number; currency: string }, key: IdempotencyKey): Promise<Answer<Payment>> {
    return this.idempotent(key, 201, async (tx) => {
      const merchant = await this.lockMerchant(tx, merchantId);
      if (merchant.currency !== input.currency)
        throw new CurrencyMismatch(`merchant ${merchantId} takes ${merchant.currency}, not ${input.currency}`);
      const { rows } = await tx.query<MovementRow>(
        "INSERT INTO payments (id, merchant_id, amount, currency, status) VALUES ($1, $2, $3, $4, 'created') RETURNING *",
        [randomUUID(), merchantId, input.amountMinor, input.currency],
      );
      const payment = paymentOf(rows[0] as MovementRow);
      await this.outbox.append(
        tx,
        encodeEvent(paymentContracts.paymentCreated, {
          paymentId: payment.id,
          merchantId,
          amountMinor: payment.amountMinor,
          currency: payment.currency,
        }),
      );
      return payment;
    });
  }

  completePayment(merchantId: string, paymentId: string, key: IdempotencyKey): Promise<Answer<Payment>> {
    return this.idempotent(key, 200, async (tx) => {
      const { rows } = await tx.query<MovementRow>('SELECT * FROM payments WHERE id = $1 AND merchant_id = $2 FOR UPDATE', [
        paymentId,
        merchantId,
      ]);
      const found = rows[0];
      if (!found) throw new NotFound(`no payment ${paymentId} of merchant ${merchantId}`);
      if (found.status === 'completed') throw new Conflict(`payment ${paymentId} is completed already`);
      const { rows: done } = await tx.query<MovementRow>(
        "UPDATE payments SET status = 'completed', completed_at = now() WHERE id = $1 RETURNING *",
        [paymentId],
      );
      const payment = paymentOf(done[0] as MovementRow);
      await this.outbox.append(
        tx,
        encodeEvent(paymentContracts.paymentCompleted, {
          paymentId,
          merchantId,
          amountMinor: payment.amountMinor,
          currency: payment.currency,
        }),
      );
      return payment;
    });
  }

  requestWithdrawal(merchantId: string, input: { amountMinor: number }, key: IdempotencyKey): Promise<Answer<Withdrawal>> {
    return this.idempotent(key, 202, async (tx) => {
      const merchant = await this.lockMerchant(tx, merchantId);
      const { rows } = await tx.query<MovementRow>(
        "INSERT INTO withdrawals (id, merchant_id, amount, currency, status) VALUES ($1, $2, $3, $4, 'requested') RETURNING *",
        [randomUUID(), merchantId, input.amountMinor, merchant.currency],
      );
      const withdrawal = withdrawalOf(rows[0] as MovementRow);
      await this.outbox.append(
        tx,
        encodeEvent(paymentContracts.withdrawalRequested, {
          withdrawalId: withdrawal.id,
          merchantId,
          amountMinor: withdrawal.amountMinor,
          currency: withdrawal.currency,
        }),
      );
      return withdrawal;
    });
  }

  async payment(merchantId: string, id: string): Promise<Payment | undefined> {
    const { rows } = await this.pool.query<MovementRow>('SELECT * FROM payments WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
    return rows[0] ? paymentOf(rows[0]) : undefined;
  }

  async withdrawal(merchantId: string, id: string): Promise<Withdrawal | undefined> {
    const { rows } = await this.pool.query<MovementRow>('SELECT * FROM withdrawals WHERE id = $1 AND merchant_id = $2', [id, merchantId]);
    return rows[0] ? withdrawalOf(rows[0]) : undefined;
  }

  /** A merchant's payments or withdrawals in id order, `limit` at a time. */
  async list(table: 'payments' | 'withdrawals', merchantId: string, limit: number, after?: string) {
    const { rows } = await this.pool.query<MovementRow>(
      `SELECT * FROM ${table} WHERE merchant_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
      [merchantId, after ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map(table === 'payments' ? paymentOf : withdrawalOf);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, nextCursor: last.id } : { items };
  }

  /**
   * The saga's answer for a withdrawal, from ledger.events. An approval is decided here and only
   * here: before its settleBy it is paid out (withdrawal.settled), after it declined
   * (withdrawal.expired, which releases the ledger's reservation). Both answers follow the request
   * in the merchant's partition, so the ledger — however far behind — reads the payout before
   * anything that could spend the reserved money.
   */
  async applyLedgerOutcome(
    tx: pg.PoolClient,
    outcome: { kind: 'approved' | 'rejected' | 'failed'; withdrawalId: string; merchantId: string; reason?: string; settleBy?: string },
    now = Date.now(),
  ): Promise<void> {
    const { rows } = await tx.query<MovementRow>('SELECT * FROM withdrawals WHERE id = $1 AND merchant_id = $2 FOR UPDATE', [
      outcome.withdrawalId,
      outcome.merchantId,
    ]);
    const withdrawal = rows[0];
    // Refused for good (dead-lettered with the reason): an answer about a withdrawal this side never had.
    if (!withdrawal) throw new EnvelopeError(`no withdrawal ${outcome.withdrawalId} of merchant ${outcome.merchantId}`);
    const set = (status: string, reason?: string) =>
      tx.query('UPDATE withdrawals SET status = $2, reason = $3, updated_at = now() WHERE id = $1', [
        withdrawal.id,
        status,
        reason ?? null,
      ]);
    if (outcome.kind === 'rejected' && withdrawal.status === 'requested') return void (await set('rejected', outcome.reason));
    if (outcome.kind === 'failed' && withdrawal.status !== 'settled') return void (await set('failed', outcome.reason));
    if (outcome.kind !== 'approved' || withdrawal.status !== 'requested') return;
    const data = {
      withdrawalId: withdrawal.id,
      merchantId: withdrawal.merchant_id,
      amountMinor: minorFromDb(withdrawal.amount),
      currency: withdrawal.currency,
    };
    const settleBy = Date.parse(outcome.settleBy ?? '');
    if (!(settleBy > now)) {
      await set('failed', 'not paid out: the approval arrived after its settleBy');
      await this.outbox.append(tx, encodeEvent(paymentContracts.withdrawalExpired, data));
      return;
    }
    await set('settled');
    await this.outbox.append(tx, encodeEvent(paymentContracts.withdrawalSettled, data));
  }
}
