import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { type DecodedEvent, encodeEvent } from '../../lib/contracts.ts';
import { Outbox } from '../../lib/outbox.ts';
import { paymentContracts } from '../payments/events.ts';
import { minorFromDb } from '../payments/money.ts';
import { ledgerContracts } from './events.ts';
import { type SagaEffect, type SagaInput, transition, type WithdrawalState } from './saga.ts';

type Leg = { account: string; amount: number };
const account = (merchantId: string, kind: 'available' | 'reserved') => `merchant:${merchantId}:${kind}`;
const paidIn = 'external:payments';
const paidOut = 'external:payouts';

interface MoneyEvent {
  merchantId: string;
  amountMinor: number;
  currency: string;
}

/** Refused for good: retried, then dead-lettered with this reason. */
class Refused extends EnvelopeError {}

/**
 * The double-entry ledger: each effect of a payments event is a journal transaction whose lines
 * sum to zero (a deferred constraint checks it at commit), and the merchant accounts' balances,
 * which the database keeps non-negative. The caller applies each event once, in the inbox's
 * transaction; withdrawals move by the saga (saga.ts), their answers through the ledger's outbox.
 */
export class Ledger {
  private readonly outbox: Outbox;
  private readonly settlementWindowMs: number;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor({ settlementWindowMs, outbox = new Outbox() }: { settlementWindowMs: number; outbox?: Outbox }) {
    this.settlementWindowMs = settlementWindowMs;
    this.outbox = outbox;
  }

  async apply(tx: pg.PoolClient, event: DecodedEvent): Promise<void> {
    const data = event.data as MoneyEvent & { paymentId?: string; withdrawalId?: string };
    if (event.key !== data.merchantId) throw new EnvelopeError('the record key must be the merchant id');
    switch (event.type) {
      case paymentContracts.paymentCreated.type:
        return;
      case paymentContracts.paymentCompleted.type:
        await this.openAccounts(tx, data);
        await this.post(tx, event.id, data.merchantId, `payment ${data.paymentId} completed`, [
          { account: paidIn, amount: -data.amountMinor },
          { account: account(data.merchantId, 'available'), amount: data.amountMinor },
        ]);
        return;
      case paymentContracts.withdrawalRequested.type:
        await this.openAccounts(tx, data);
        return this.step(tx, event.id, data as MoneyEvent & { withdrawalId: string }, (available) => ({
          kind: 'requested',
          amountMinor: data.amountMinor,
          availableMinor: available,
        }));
      case paymentContracts.withdrawalSettled.type:
        return this.step(tx, event.id, data as MoneyEvent & { withdrawalId: string }, () => ({ kind: 'settled' }));
      case paymentContracts.withdrawalExpired.type:
        return this.step(tx, event.id, data as MoneyEvent & { withdrawalId: string }, () => ({ kind: 'expired' }));
      default:
        throw new EnvelopeError(`the ledger does not handle ${event.type}`);
    }
  }

  private async step(
    tx: pg.PoolClient,
    eventId: string,
    withdrawal: MoneyEvent & { withdrawalId: string },
    input: (availableMinor: number) => SagaInput,
  ): Promise<void> {
    const { rows } = await tx.query<{ state: WithdrawalState; amount: string; merchant_id: string }>(
      'SELECT state, amount, merchant_id FROM withdrawals WHERE id = $1 FOR UPDATE',
      [withdrawal.withdrawalId],
    );
    const current = rows[0];
    // What the ledger stored decides whose money moves and how much, never the later event's claims.
    if (current && current.merchant_id !== withdrawal.merchantId)
      throw new Refused(`withdrawal ${withdrawal.withdrawalId} belongs to another merchant than ${withdrawal.merchantId}`);
    const amount = current ? minorFromDb(current.amount) : withdrawal.amountMinor;
    const step = transition(current?.state, input(await this.available(tx, withdrawal.merchantId)));
    if ('unchanged' in step) return;
    if ('refused' in step) throw new Refused(step.refused);
    const settleBy = new Date(Date.now() + this.settlementWindowMs);
    await tx.query(
      `INSERT INTO withdrawals (id, merchant_id, amount, state, settle_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET state = $4, updated_at = now()`,
      [withdrawal.withdrawalId, withdrawal.merchantId, amount, step.next, step.next === 'approved' ? settleBy : null],
    );
    for (const effect of step.effects) await this.effect(tx, eventId, { ...withdrawal, amountMinor: amount }, effect, settleBy);
  }

  private async effect(tx: pg.PoolClient, eventId: string, w: MoneyEvent & { withdrawalId: string }, effect: SagaEffect, settleBy: Date) {
    const { merchantId, amountMinor: amount, withdrawalId } = w;
    const move = (what: string, from: string, to: string) =>
      this.post(tx, eventId, merchantId, `withdrawal ${withdrawalId}: ${what}`, [
        { account: from, amount: -amount },
        { account: to, amount },
      ]);
    const outcome = { withdrawalId, merchantId, amountMinor: amount };
    switch (effect.kind) {
      case 'reserve':
        return move('reserve', account(merchantId, 'available'), account(merchantId, 'reserved'));
      case 'release':
        return move('release', account(merchantId, 'reserved'), account(merchantId, 'available'));
      case 'payoutFromReserved':
        return move('payout', account(merchantId, 'reserved'), paidOut);
      case 'publish':
        return this.outbox.append(
          tx,
          effect.event === 'approved'
            ? encodeEvent(ledgerContracts.approved, { ...outcome, settleBy: settleBy.toISOString() })
            : encodeEvent(ledgerContracts[effect.event], { ...outcome, reason: effect.reason ?? '' }),
        );
    }
  }

  private async openAccounts(tx: pg.PoolClient, event: MoneyEvent): Promise<void> {
    await tx.query(
      `INSERT INTO accounts (merchant_id, kind, currency) VALUES ($1, 'available', $2), ($1, 'reserved', $2) ON CONFLICT DO NOTHING`,
      [event.merchantId, event.currency],
    );
    const { rows } = await tx.query<{ currency: string }>("SELECT currency FROM accounts WHERE merchant_id = $1 AND kind = 'available'", [
      event.merchantId,
    ]);
    if (rows[0]?.currency !== event.currency)
      throw new Refused(`merchant ${event.merchantId} keeps ${rows[0]?.currency}, not ${event.currency}`);
  }

  private async available(tx: pg.PoolClient, merchantId: string): Promise<number> {
    const { rows } = await tx.query<{ balance: string }>(
      "SELECT balance FROM accounts WHERE merchant_id = $1 AND kind = 'available' FOR UPDATE",
      [merchantId],
    );
    return rows[0] ? minorFromDb(rows[0].balance) : 0;
  }

  /** One journal transaction: its lines, and the merchant accounts' balances moved by them. */
  private async post(tx: pg.PoolClient, eventId: string, merchantId: string, description: string, legs: Leg[]): Promise<void> {
    const id = randomUUID();
    await tx.query('INSERT INTO journal_transactions (id, event_id, merchant_id, description) VALUES ($1, $2, $3, $4)', [
      id,
      eventId,
      merchantId,
      description,
    ]);
    for (const leg of legs) {
      await tx.query('INSERT INTO journal_lines (transaction_id, account, amount) VALUES ($1, $2, $3)', [id, leg.account, leg.amount]);
      const [scope, owner, kind] = leg.account.split(':');
      if (scope === 'merchant')
        await tx.query('UPDATE accounts SET balance = balance + $3 WHERE merchant_id = $1 AND kind = $2', [owner, kind, leg.amount]);
    }
  }
}

/** A merchant's balances and journal, for the HTTP API and reconciliation. */
export async function balanceOf(db: pg.Pool, merchantId: string) {
  const { rows } = await db.query<{ kind: string; currency: string; balance: string }>(
    'SELECT kind, currency, balance FROM accounts WHERE merchant_id = $1',
    [merchantId],
  );
  if (rows.length === 0) return undefined;
  const of = (kind: string) => minorFromDb(rows.find((r) => r.kind === kind)?.balance ?? 0);
  return { merchantId, currency: rows[0]?.currency, availableMinor: of('available'), reservedMinor: of('reserved') };
}
