import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { type DecodedEvent, encodeEvent } from '../../lib/contracts.ts';
import { Outbox } from '../../lib/outbox.ts';
import { inEventSpan, sampled } from '../../lib/tracing.ts';
import { paymentContracts } from '../payments/events.ts';
import { minorFromDb } from '../payments/money.ts';
import { ledgerContracts } from './events.ts';
import { type SagaEffect, type SagaInput, transition, type WithdrawalState } from './saga.ts';

export type Leg = { account: string; amount: number };
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

/** A journal transaction to post: what caused it, whose it is, and its lines (they sum to zero). */
interface Entry {
  eventId: string;
  merchantId: string;
  description: string;
  legs: Leg[];
}

type Withdrawal = MoneyEvent & { withdrawalId: string };

/** The events that name the merchant's currency, and so open its accounts in it. */
const opening = new Set([paymentContracts.paymentCompleted.type, paymentContracts.withdrawalRequested.type]);
const handled = new Set(Object.values(paymentContracts).map((c) => c.type));

/**
 * The double-entry ledger: each effect of a payments event is a journal transaction whose lines
 * sum to zero (a statement-level trigger checks each INSERT of lines), and the merchant accounts'
 * balances, which the database keeps non-negative. The caller applies each event once, in the
 * inbox's transaction; withdrawals move by the saga (saga.ts), their answers through the ledger's outbox.
 */
export class Ledger {
  private readonly outbox: Outbox;
  private readonly settlementWindowMs: number;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor({ settlementWindowMs, outbox = new Outbox() }: { settlementWindowMs: number; outbox?: Outbox }) {
    this.settlementWindowMs = settlementWindowMs;
    this.outbox = outbox;
  }

  /**
   * Applies a batch of events, in partition order, as a few statements: the accounts of every
   * merchant it names opened at once, each run of completions posted as one statement, and each
   * saga step (rare) after the completions before it, since it decides on the balance they leave.
   * A refused event throws, so the caller applies the batch again one event at a time and only
   * that event is rejected.
   */
  async applyBatch(tx: pg.PoolClient, events: DecodedEvent[]): Promise<void> {
    for (const event of events) {
      if (!handled.has(event.type)) throw new EnvelopeError(`the ledger does not handle ${event.type}`);
      if (event.key !== (event.data as MoneyEvent).merchantId) throw new EnvelopeError('the record key must be the merchant id');
    }
    await this.openAccounts(
      tx,
      events.filter((e) => opening.has(e.type)).map((e) => e.data as MoneyEvent),
    );
    let completions: DecodedEvent[] = [];
    for (const event of events) {
      if (event.type === paymentContracts.paymentCreated.type) continue;
      if (event.type === paymentContracts.paymentCompleted.type) {
        completions.push(event);
        continue;
      }
      await this.credit(tx, completions);
      completions = [];
      await inEventSpan(`${event.type} handle`, event.traceparent, () => this.sagaStep(tx, event));
    }
    await this.credit(tx, completions);
  }

  /**
   * A run of completions, one statement. Its span continues the first sampled completion's trace;
   * the batch span links the others'.
   */
  private async credit(tx: pg.PoolClient, completions: DecodedEvent[]): Promise<void> {
    const [first] = completions;
    if (!first) return;
    const traceparent = completions.find((e) => sampled(e.traceparent))?.traceparent ?? first.traceparent;
    await inEventSpan(`${first.type} handle`, traceparent, () =>
      this.post(
        tx,
        completions.map((event) => {
          const data = event.data as MoneyEvent & { paymentId: string };
          return {
            eventId: event.id,
            merchantId: data.merchantId,
            description: `payment ${data.paymentId} completed`,
            legs: [
              { account: paidIn, amount: -data.amountMinor },
              { account: account(data.merchantId, 'available'), amount: data.amountMinor },
            ],
          };
        }),
      ),
    );
  }

  private sagaStep(tx: pg.PoolClient, event: DecodedEvent): Promise<void> {
    const withdrawal = event.data as Withdrawal;
    switch (event.type) {
      case paymentContracts.withdrawalRequested.type:
        return this.step(tx, event.id, withdrawal, (available) => ({
          kind: 'requested',
          amountMinor: withdrawal.amountMinor,
          availableMinor: available,
        }));
      case paymentContracts.withdrawalSettled.type:
        return this.step(tx, event.id, withdrawal, () => ({ kind: 'settled' }));
      default:
        return this.step(tx, event.id, withdrawal, () => ({ kind: 'expired' }));
    }
  }

  private async step(
    tx: pg.PoolClient,
    eventId: string,
    withdrawal: Withdrawal,
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

  private async effect(tx: pg.PoolClient, eventId: string, w: Withdrawal, effect: SagaEffect, settleBy: Date) {
    const { merchantId, amountMinor: amount, withdrawalId } = w;
    const move = (what: string, from: string, to: string) =>
      this.post(tx, [
        {
          eventId,
          merchantId,
          description: `withdrawal ${withdrawalId}: ${what}`,
          legs: [
            { account: from, amount: -amount },
            { account: to, amount },
          ],
        },
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

  /**
   * Opens both accounts of every merchant named, in the currency its first event names (two
   * statements for the batch), and refuses the batch if an event names another currency than the
   * merchant's accounts keep.
   */
  private async openAccounts(tx: pg.PoolClient, events: MoneyEvent[]): Promise<void> {
    if (events.length === 0) return;
    const currencies = new Map<string, string>();
    for (const e of events) if (!currencies.has(e.merchantId.toLowerCase())) currencies.set(e.merchantId.toLowerCase(), e.currency);
    // Sorted, so that two transactions opening overlapping merchants take their rows in one order.
    const merchants = [...currencies.keys()].sort();
    await tx.query(
      `INSERT INTO accounts (merchant_id, kind, currency)
       SELECT m, k, c FROM unnest($1::uuid[], $2::text[]) AS n (m, c) CROSS JOIN (VALUES ('available'), ('reserved')) AS kinds (k)
       ORDER BY m, k ON CONFLICT DO NOTHING`,
      [merchants, merchants.map((m) => currencies.get(m))],
    );
    const { rows } = await tx.query<{ merchant_id: string; currency: string }>(
      "SELECT merchant_id, currency FROM accounts WHERE kind = 'available' AND merchant_id = ANY($1::uuid[])",
      [merchants],
    );
    const kept = new Map(rows.map((r) => [r.merchant_id, r.currency]));
    for (const e of events) {
      const currency = kept.get(e.merchantId.toLowerCase());
      if (currency !== e.currency) throw new Refused(`merchant ${e.merchantId} keeps ${currency}, not ${e.currency}`);
    }
  }

  private async available(tx: pg.PoolClient, merchantId: string): Promise<number> {
    const { rows } = await tx.query<{ balance: string }>(
      "SELECT balance FROM accounts WHERE merchant_id = $1 AND kind = 'available' FOR UPDATE",
      [merchantId],
    );
    return rows[0] ? minorFromDb(rows[0].balance) : 0;
  }

  /**
   * Journal transactions in one statement: the transactions, their lines, and the merchant
   * accounts' balances moved by the lines' sum per account (one UPDATE per account row, so the
   * balance check sees where the whole set leaves it).
   */
  private async post(tx: pg.PoolClient, entries: Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const ids = entries.map(() => randomUUID());
    const lines = entries.flatMap((entry, i) => entry.legs.map((leg) => ({ ...leg, transactionId: ids[i] })));
    const deltas = balanceChanges(lines);
    await tx.query(
      `WITH t AS (
         INSERT INTO journal_transactions (id, event_id, merchant_id, description)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[])
       ), l AS (
         INSERT INTO journal_lines (transaction_id, account, amount) SELECT * FROM unnest($5::uuid[], $6::text[], $7::bigint[])
       )
       UPDATE accounts a SET balance = a.balance + d.delta
       FROM unnest($8::uuid[], $9::text[], $10::bigint[]) AS d (merchant_id, kind, delta)
       WHERE a.merchant_id = d.merchant_id AND a.kind = d.kind`,
      [
        ids,
        entries.map((e) => e.eventId),
        entries.map((e) => e.merchantId),
        entries.map((e) => e.description),
        lines.map((l) => l.transactionId),
        lines.map((l) => l.account),
        lines.map((l) => l.amount),
        deltas.map((d) => d.merchantId),
        deltas.map((d) => d.kind),
        deltas.map((d) => d.delta.toString()),
      ],
    );
  }
}

/**
 * The change of each merchant account the legs touch, summed exactly (a sum of many safe integers
 * may not be one), ordered by account; the world outside has no balance row.
 */
export function balanceChanges(legs: readonly Leg[]): { merchantId: string; kind: string; delta: bigint }[] {
  const byAccount = new Map<string, { merchantId: string; kind: string; delta: bigint }>();
  for (const leg of legs) {
    const [scope, owner, kind] = leg.account.split(':');
    if (scope !== 'merchant' || !owner || !kind) continue;
    const merchantId = owner.toLowerCase();
    const key = `${merchantId}:${kind}`;
    const change = byAccount.get(key) ?? { merchantId, kind, delta: 0n };
    change.delta += BigInt(leg.amount);
    byAccount.set(key, change);
  }
  return [...byAccount.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, change]) => change);
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
