import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EnvelopeError, type KafkaRecord, toKafkaRecord } from '../../lib/cloudevents.ts';
import { type Contract, encodeEvent } from '../../lib/contracts.ts';
import { type IdempotencyKey, replayOrMismatch } from '../../lib/idempotency.ts';
import { Outbox } from '../../lib/outbox.ts';
import { traceparentOf } from '../../lib/tracing.ts';
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

/** What one write command's statement found: a stored answer for its key, the answer it stored, or neither and why. */
interface Outcome<T> {
  prior: { request_hash: string; status: number; body: T } | null;
  body: T | null;
  refusal: string | null;
}

/** A timestamptz as JavaScript's toISOString writes the Date pg reads from it (both cut to the millisecond). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The envelope (key, headers) of an event whose data the statement completes from the row it
 * writes, so it cannot be checked against its contract here: the ledger's decoding checks it, and
 * the row's own constraints held what it carries since it was created.
 */
function envelope(contract: Contract, subject: string, key: string): KafkaRecord & { topic: string } {
  const traceparent = traceparentOf();
  const event = { id: randomUUID(), type: contract.type, source: contract.source, subject, time: new Date(), data: null };
  return { topic: contract.topic, ...toKafkaRecord(traceparent ? { ...event, traceparent } : event, key) };
}

/**
 * Merchants, payments and withdrawals in PostgreSQL. Every write command is one statement: its
 * row, its event (the outbox) and — with an Idempotency-Key — the key and the answer stand or fall
 * together, in one round trip. A retry gets the first answer back and moves nothing; a committed
 * movement always reaches the ledger.
 */
export class PaymentStore {
  private readonly pool: pg.Pool;
  private readonly outbox: Outbox;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor(pool: pg.Pool, outbox = new Outbox()) {
    this.pool = pool;
    this.outbox = outbox;
  }

  /**
   * Runs `write` once per key, as one statement. `write` is CTEs that change rows only
   * `WHERE NOT EXISTS (SELECT FROM prior)` (the key's stored answer) and end in `answer (body)`,
   * one row when they wrote; their parameters start at $4. The key is stored with that answer in
   * the same statement. A key stored before the statement began replays its answer; one a
   * concurrent request is storing makes this statement wait on the key and fail (23505), then
   * replay the winner's. Neither written nor stored: the `refusal` expression's value says why.
   */
  private async once<T>(
    key: IdempotencyKey,
    status: number,
    write: string,
    params: unknown[],
    refusal = 'NULL',
  ): Promise<{ answer: Answer<T> } | { refusal: string | null }> {
    try {
      const { rows } = await this.pool.query<Outcome<T>>(
        `WITH prior AS (SELECT request_hash, status, body FROM idempotency_keys WHERE key = $1),
         ${write},
         stored AS (INSERT INTO idempotency_keys (key, request_hash, status, body) SELECT $1::text, $2::text, $3::int, body FROM answer)
         SELECT (SELECT to_jsonb(prior) FROM prior) AS prior, (SELECT body FROM answer) AS body, ${refusal} AS refusal`,
        [key.key, key.hash, status, ...params],
      );
      const outcome = rows[0] as Outcome<T>;
      if (outcome.prior) return { answer: this.replay(outcome.prior, key) };
      if (outcome.body === null) return { refusal: outcome.refusal };
      this.outbox.committed();
      return { answer: { status, body: outcome.body, replayed: false } };
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      const winner = code === '23505' && constraint === 'idempotency_keys_pkey' ? await this.remembered<T>(key) : undefined;
      if (winner) return { answer: winner };
      throw error;
    }
  }

  private replay<T>(stored: { request_hash: string; status: number; body: T }, key: IdempotencyKey): Answer<T> {
    return { status: stored.status, body: replayOrMismatch({ hash: stored.request_hash, answer: stored.body }, key), replayed: true };
  }

  /** The answer stored for `key` by now, replayed (or 422 for another request). */
  private async remembered<T>(key: IdempotencyKey): Promise<Answer<T> | undefined> {
    const { rows } = await this.pool.query<{ request_hash: string; status: number; body: T }>(
      'SELECT request_hash, status, body FROM idempotency_keys WHERE key = $1',
      [key.key],
    );
    return rows[0] && this.replay(rows[0], key);
  }

  /** The outbox row of `record`, inserted once per row of `from`; its value is $value, or that text as given. */
  private outboxFrom(from: string, first: number, value = `$${first + 2}::text`): string {
    return `INSERT INTO ${this.outbox.table} (topic, key, value, headers)
            SELECT $${first}::text, $${first + 1}::text, ${value}, $${first + 3}::jsonb FROM ${from}`;
  }

  async createMerchant(input: { name: string; email: string; currency: string }, key?: IdempotencyKey): Promise<Answer<Merchant>> {
    const now = new Date();
    const merchant: Merchant = {
      id: randomUUID(),
      name: input.name,
      email: input.email.toLowerCase(),
      currency: input.currency,
      createdAt: now.toISOString(),
    };
    const row = [merchant.id, merchant.name, merchant.email, merchant.currency, now];
    if (!key) {
      await this.pool.query('INSERT INTO merchants (id, name, email, currency, created_at) VALUES ($1, $2, $3, $4, $5)', row);
      return { status: 201, body: merchant, replayed: false };
    }
    const done = await this.once<Merchant>(
      key,
      201,
      `m AS (
         INSERT INTO merchants (id, name, email, currency, created_at)
         SELECT $4::uuid, $5::text, $6::text, $7::text, $8::timestamptz WHERE NOT EXISTS (SELECT FROM prior) RETURNING id
       ), answer AS (SELECT $9::jsonb AS body FROM m)`,
      [...row, merchant],
    );
    if ('answer' in done) return done.answer;
    throw new Error('a merchant was neither created nor replayed');
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

  /** One statement: the payment in the merchant's currency, its payment.created, the key and the answer. */
  async createPayment(merchantId: string, input: { amountMinor: number; currency: string }, key: IdempotencyKey): Promise<Answer<Payment>> {
    const now = new Date();
    const payment: Payment = {
      id: randomUUID(),
      merchantId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      status: 'created',
      createdAt: now.toISOString(),
    };
    const record = encodeEvent(paymentContracts.paymentCreated, {
      paymentId: payment.id,
      merchantId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    });
    const done = await this.once<Payment>(
      key,
      201,
      `m AS (SELECT currency FROM merchants WHERE id = $4::uuid),
       p AS (
         INSERT INTO payments (id, merchant_id, amount, currency, status, created_at)
         SELECT $5::uuid, $4::uuid, $6::bigint, currency, 'created', $7::timestamptz FROM m
         WHERE currency = $8::text AND NOT EXISTS (SELECT FROM prior) RETURNING id
       ), event AS (${this.outboxFrom('p', 9)}),
       answer AS (SELECT $13::jsonb AS body FROM p)`,
      [merchantId, payment.id, payment.amountMinor, now, payment.currency, ...this.outbox.params(record), payment],
      '(SELECT currency FROM m)',
    );
    if ('answer' in done) return done.answer;
    if (done.refusal === null) throw new NotFound(`no merchant ${merchantId}`);
    throw new CurrencyMismatch(`merchant ${merchantId} takes ${done.refusal}, not ${input.currency}`);
  }

  /**
   * One statement: the payment completed if it is still created, its payment.completed, the key
   * and the answer. The amount and currency come from the row, so the event's data and the answer
   * are completed in SQL.
   */
  async completePayment(merchantId: string, paymentId: string, key: IdempotencyKey): Promise<Answer<Payment>> {
    const now = new Date();
    const known = { id: paymentId, merchantId, status: 'completed', completedAt: now.toISOString() };
    const record = envelope(paymentContracts.paymentCompleted, paymentId, merchantId);
    const done = await this.once<Payment>(
      key,
      200,
      `p AS (
         UPDATE payments SET status = 'completed', completed_at = $6::timestamptz
         WHERE id = $4::uuid AND merchant_id = $5::uuid AND status = 'created' AND NOT EXISTS (SELECT FROM prior)
         RETURNING amount, currency, created_at
       ), event AS (${this.outboxFrom('p', 7, "($9::jsonb || jsonb_build_object('amountMinor', amount, 'currency', currency))::text")}),
       answer AS (
         SELECT $11::jsonb || jsonb_build_object('amountMinor', amount, 'currency', currency, 'createdAt', ${iso('created_at')}) AS body FROM p
       )`,
      [paymentId, merchantId, now, record.topic, record.key, { paymentId, merchantId }, record.headers, known],
      '(SELECT status FROM payments WHERE id = $4::uuid AND merchant_id = $5::uuid)',
    );
    if ('answer' in done) return done.answer;
    if (done.refusal === null) throw new NotFound(`no payment ${paymentId} of merchant ${merchantId}`);
    // Completed already — perhaps by a request with this very key that committed while this one waited on the row.
    const winner = await this.remembered<Payment>(key);
    if (winner) return winner;
    throw new Conflict(`payment ${paymentId} is completed already`);
  }

  /** One statement: the withdrawal in the merchant's currency, its withdrawal.requested, the key and the answer. */
  async requestWithdrawal(merchantId: string, input: { amountMinor: number }, key: IdempotencyKey): Promise<Answer<Withdrawal>> {
    const now = new Date();
    const withdrawalId = randomUUID();
    const known = {
      id: withdrawalId,
      merchantId,
      amountMinor: input.amountMinor,
      status: 'requested',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const record = envelope(paymentContracts.withdrawalRequested, withdrawalId, merchantId);
    const done = await this.once<Withdrawal>(
      key,
      202,
      `m AS (SELECT currency FROM merchants WHERE id = $4::uuid),
       w AS (
         INSERT INTO withdrawals (id, merchant_id, amount, currency, status, created_at, updated_at)
         SELECT $5::uuid, $4::uuid, $6::bigint, currency, 'requested', $7::timestamptz, $7::timestamptz FROM m
         WHERE NOT EXISTS (SELECT FROM prior) RETURNING currency
       ), event AS (${this.outboxFrom('w', 8, "($10::jsonb || jsonb_build_object('currency', currency))::text")}),
       answer AS (SELECT $12::jsonb || jsonb_build_object('currency', currency) AS body FROM w)`,
      [
        merchantId,
        withdrawalId,
        input.amountMinor,
        now,
        record.topic,
        record.key,
        { withdrawalId, merchantId, amountMinor: input.amountMinor },
        record.headers,
        known,
      ],
      '(SELECT currency FROM m)',
    );
    if ('answer' in done) return done.answer;
    throw new NotFound(`no merchant ${merchantId}`);
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
