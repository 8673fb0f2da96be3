/**
 * Reconciliation: every merchant's money computed four ways — the ledger's journal, the ledger's
 * account balances, the payments database, and the events on payments.events — and compared to
 * the minor unit. The comparison is pure; the readers below it are the adapters.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Kafka } from '../../lib/kafka.ts';
import { paymentContracts, paymentsTopic } from '../payments/events.ts';
import { minorFromDb } from '../payments/money.ts';

/** Per merchant: what the merchant is owed (completed payments − settled withdrawals). */
export type Holdings = Map<string, number>;

export interface Sources {
  /** Σ of the journal lines on the merchant's available and reserved accounts. */
  journal: Holdings;
  /** available + reserved as the accounts table holds them. */
  accounts: Holdings;
  /** From the payments database. */
  payments: Holdings;
  /** From the events on payments.events, each ce_id counted once — only where the topic still holds every event (tests). */
  events?: Holdings;
}

export interface Drift {
  merchantId: string;
  values: Partial<Record<keyof Sources, number>>;
}

/** The merchants whose four figures are not all equal; empty when the books agree. */
export function reconcile(sources: Sources): Drift[] {
  const given = Object.entries(sources).filter((entry): entry is [string, Holdings] => entry[1] !== undefined);
  const merchants = new Set(given.flatMap(([, h]) => [...h.keys()]));
  const drift: Drift[] = [];
  for (const merchantId of [...merchants].sort()) {
    const values = Object.fromEntries(given.map(([name, h]) => [name, h.get(merchantId) ?? 0])) as Drift['values'];
    if (new Set(Object.values(values)).size > 1) drift.push({ merchantId, values });
  }
  return drift;
}

const holdings = (rows: { merchant_id: string; owed: string }[]): Holdings =>
  new Map(rows.map((r) => [r.merchant_id, minorFromDb(r.owed)]));

export async function fromLedger(db: pg.Pool): Promise<{ journal: Holdings; accounts: Holdings; unbalanced: number; negative: number }> {
  const journal = await db.query<{ merchant_id: string; owed: string }>(
    `SELECT split_part(account, ':', 2) AS merchant_id, sum(amount)::text AS owed FROM journal_lines
     WHERE account LIKE 'merchant:%' GROUP BY 1`,
  );
  const accounts = await db.query<{ merchant_id: string; owed: string }>(
    'SELECT merchant_id, sum(balance)::text AS owed FROM accounts GROUP BY 1',
  );
  const unbalanced = await db.query('SELECT transaction_id FROM journal_lines GROUP BY transaction_id HAVING sum(amount) <> 0');
  const negative = await db.query('SELECT 1 FROM accounts WHERE balance < 0');
  return {
    journal: holdings(journal.rows),
    accounts: holdings(accounts.rows),
    unbalanced: unbalanced.rowCount ?? 0,
    negative: negative.rowCount ?? 0,
  };
}

export async function fromPayments(db: pg.Pool): Promise<Holdings> {
  const { rows } = await db.query<{ merchant_id: string; owed: string }>(
    `SELECT merchant_id, sum(amount)::text AS owed FROM (
       SELECT merchant_id, amount FROM payments WHERE status = 'completed'
       UNION ALL SELECT merchant_id, -amount FROM withdrawals WHERE status = 'settled') AS moves
     GROUP BY 1`,
  );
  return holdings(rows);
}

/** Reads payments.events from the beginning to its end offsets now; duplicates (one ce_id twice) count once. */
export async function fromEvents(kafka: Kafka, timeoutMs = 60_000): Promise<{ holdings: Holdings; events: number; duplicates: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(paymentsTopic);
  await admin.disconnect();
  const seen = new Set<string>();
  const result: Holdings = new Map();
  let duplicates = 0;
  // Only partitions that still hold records: one emptied by retention keeps its end offset.
  const remaining = new Map(offsets.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  const consumer = kafka.consumer({ groupId: `reconcile-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: paymentsTopic, fromBeginning: true });
  try {
    await new Promise<void>((done, fail) => {
      if (remaining.size === 0) return done();
      const timer = setTimeout(() => fail(new Error(`payments.events not read to its end within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const id = message.headers?.ce_id?.toString() ?? '';
          const type = message.headers?.ce_type?.toString();
          if (seen.has(id)) duplicates++;
          else {
            seen.add(id);
            const data = JSON.parse(message.value?.toString() ?? '{}') as { merchantId: string; amountMinor: number };
            const sign = type === paymentContracts.paymentCompleted.type ? 1 : type === paymentContracts.withdrawalSettled.type ? -1 : 0;
            if (sign !== 0) result.set(data.merchantId, (result.get(data.merchantId) ?? 0) + sign * data.amountMinor);
          }
          if (Number(message.offset) + 1 >= (remaining.get(partition) ?? 0)) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return { holdings: result, events: seen.size, duplicates };
}

/** An effect-bearing event on payments.events (completed: +amount, settled: −amount) and what the journal did with it. */
export interface EventEffect {
  eventId: string;
  merchantId: string;
  amountMinor: number;
}

/**
 * The events a topic still holds against the journal, event by event: each effect must be in the
 * journal once, on its merchant, for its amount. Unlike summing the topic from its start, this holds
 * for any window the topic's retention leaves — a merchant older than 30 days is not a drift.
 */
export function eventCoverage(
  events: EventEffect[],
  journal: Map<string, { merchantId: string; amountMinor: number }>,
): { eventId: string; problem: string }[] {
  const problems: { eventId: string; problem: string }[] = [];
  for (const event of events) {
    const booked = journal.get(event.eventId);
    if (!booked) problems.push({ eventId: event.eventId, problem: `not in the journal (${event.amountMinor} for ${event.merchantId})` });
    else if (booked.merchantId !== event.merchantId || booked.amountMinor !== event.amountMinor)
      problems.push({
        eventId: event.eventId,
        problem: `booked ${booked.amountMinor} for ${booked.merchantId}, the event says ${event.amountMinor} for ${event.merchantId}`,
      });
  }
  return problems;
}

/** Holdings as they were before `effects` (movements one source has and the other has not booked yet). */
export function withoutEffects(holdings: Holdings, effects: Holdings): Holdings {
  const result: Holdings = new Map(holdings);
  for (const [merchantId, amount] of effects) result.set(merchantId, (result.get(merchantId) ?? 0) - amount);
  return result;
}
