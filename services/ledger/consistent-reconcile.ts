/**
 * Reconciliation as `make reconcile` runs it against a live platform: every source read at one
 * consistent point, so a movement in flight is not a drift, and the topic compared only within the
 * window its retention still holds.
 *
 *  1. Wait until the ledger's group has consumed payments.events up to the end offsets read now (E),
 *     noting payments' clock then (t).
 *  2. The ledger in one REPEATABLE READ snapshot (L): journal and balances per merchant.
 *  3. Payments in one REPEATABLE READ snapshot (P), taken after L, so P holds every movement L
 *     booked, and maybe a few more: the effects whose outbox rows were not sent before t are checked
 *     one by one against L's journal, and those L had not booked are taken out of P.
 *  4. Each effect-bearing event the topic still holds up to E must be in L's journal, once, on its
 *     merchant, for its amount (every one of them was consumed before L).
 * The pure comparisons are in reconcile.ts.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Kafka } from '../../lib/kafka.ts';
import { paymentContracts, paymentsTopic } from '../payments/events.ts';
import { minorFromDb } from '../payments/money.ts';
import { type Drift, type EventEffect, eventCoverage, type Holdings, reconcile, withoutEffects } from './reconcile.ts';

export interface ConsistentReconcileOptions {
  ledgerDb: pg.Pool;
  paymentsDb: pg.Pool;
  kafka: Kafka;
  /** The ledger's consumer group on payments.events. Default "ledger". */
  ledgerGroup?: string;
  /** How long to wait for the ledger to catch up and to read the topic. Default 60 s. */
  timeoutMs?: number;
}

export interface ConsistentReport {
  merchants: number;
  /** journal, balances and payments per merchant, at one point. */
  drift: Drift[];
  unbalanced: number;
  negative: number;
  /** Movements payments committed that the ledger had not booked yet at that point (taken out, not drift). */
  inFlight: number;
  window: { events: number; duplicates: number; problems: { eventId: string; problem: string }[] };
}

const holdings = (rows: { merchant_id: string; owed: string }[]): Holdings =>
  new Map(rows.map((r) => [r.merchant_id, minorFromDb(r.owed)]));

const effectOf = (type: string | undefined): 1 | -1 | 0 =>
  type === paymentContracts.paymentCompleted.type ? 1 : type === paymentContracts.withdrawalSettled.type ? -1 : 0;

async function snapshot<T>(pool: pg.Pool, read: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return await read(tx);
  } finally {
    await tx.query('ROLLBACK').catch(() => undefined);
    tx.release();
  }
}

async function caughtUp(
  kafka: Kafka,
  group: string,
  deadline: number,
): Promise<{ ends: Map<number, number>; starts: Map<number, number> }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(paymentsTopic);
    const ends = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
    // A group's position on a partition it has never committed, or whose records were deleted below
    // it, is the partition's start: a partition that holds nothing (retention, or nothing ever sent
    // since) has nothing to consume, whatever its end offset says.
    const starts = new Map(offsets.map((p) => [p.partition, Number(p.low)]));
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [paymentsTopic] });
      const behind = [...ends].filter(([partition, end]) => {
        const position = Math.max(
          Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1),
          starts.get(partition) ?? 0,
        );
        return position < end;
      });
      if (behind.length === 0) return { ends, starts };
      if (Date.now() > deadline)
        throw new Error(
          `the ledger (group ${group}) has not consumed payments.events up to ${[...ends].map(([p, e]) => `${p}:${e}`).join(' ')} in time; ` +
            'the books cannot be compared at one point: retry when it has caught up',
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The effect-bearing events of payments.events from the earliest offset it still holds up to `ends`. */
async function window(
  kafka: Kafka,
  ends: Map<number, number>,
  starts: Map<number, number>,
  deadline: number,
): Promise<{ effects: EventEffect[]; duplicates: number }> {
  const remaining = new Map([...ends].filter(([partition, end]) => end > (starts.get(partition) ?? 0)));
  const seen = new Set<string>();
  const effects: EventEffect[] = [];
  let duplicates = 0;
  if (remaining.size === 0) return { effects, duplicates };
  const groupId = `reconcile-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: paymentsTopic, fromBeginning: true });
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error('payments.events not read to its end offsets in time')),
        Math.max(0, deadline - Date.now()),
      );
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = remaining.get(partition);
          if (end === undefined || Number(message.offset) >= end) return;
          const id = message.headers?.ce_id?.toString() ?? '';
          const sign = effectOf(message.headers?.ce_type?.toString());
          if (seen.has(id)) duplicates++;
          else {
            seen.add(id);
            if (sign !== 0) {
              const data = JSON.parse(message.value?.toString() ?? '{}') as { merchantId: string; amountMinor: number };
              effects.push({ eventId: id, merchantId: data.merchantId, amountMinor: sign * data.amountMinor });
            }
          }
          if (Number(message.offset) + 1 >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            done();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
    // The reader committed nothing; its group should not linger in group listings.
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect());
  }
  return { effects, duplicates };
}

/** What the journal booked on merchant accounts for these event ids (inside the ledger's snapshot). */
async function booked(tx: pg.PoolClient, eventIds: string[]): Promise<Map<string, { merchantId: string; amountMinor: number }>> {
  const result = new Map<string, { merchantId: string; amountMinor: number }>();
  for (let i = 0; i < eventIds.length; i += 10_000) {
    const { rows } = await tx.query<{ event_id: string; merchant_id: string; amount: string }>(
      `SELECT t.event_id, t.merchant_id, coalesce(sum(l.amount) FILTER (WHERE l.account LIKE 'merchant:%'), 0)::text AS amount
       FROM journal_transactions t JOIN journal_lines l ON l.transaction_id = t.id
       WHERE t.event_id = ANY($1::text[]) GROUP BY t.event_id, t.merchant_id`,
      [eventIds.slice(i, i + 10_000)],
    );
    for (const r of rows) result.set(r.event_id, { merchantId: r.merchant_id, amountMinor: minorFromDb(r.amount) });
  }
  return result;
}

export async function reconcileConsistently(options: ConsistentReconcileOptions): Promise<ConsistentReport> {
  const { ledgerDb, paymentsDb, kafka, ledgerGroup = 'ledger', timeoutMs = 60_000 } = options;
  const deadline = Date.now() + timeoutMs;
  const since = (await paymentsDb.query<{ now: Date }>('SELECT now()')).rows[0]?.now as Date;
  const { ends, starts } = await caughtUp(kafka, ledgerGroup, deadline);
  const events = await window(kafka, ends, starts, deadline);

  return snapshot(ledgerDb, async (ledger) => {
    const journal = await ledger.query<{ merchant_id: string; owed: string }>(
      `SELECT split_part(account, ':', 2) AS merchant_id, sum(amount)::text AS owed FROM journal_lines
       WHERE account LIKE 'merchant:%' GROUP BY 1`,
    );
    const accounts = await ledger.query<{ merchant_id: string; owed: string }>(
      'SELECT merchant_id, sum(balance)::text AS owed FROM accounts GROUP BY 1',
    );
    const unbalanced = await ledger.query('SELECT transaction_id FROM journal_lines GROUP BY transaction_id HAVING sum(amount) <> 0');
    const negative = await ledger.query('SELECT 1 FROM accounts WHERE balance < 0');

    const payments = await snapshot(paymentsDb, async (tx) => {
      const owed = await tx.query<{ merchant_id: string; owed: string }>(
        `SELECT merchant_id, sum(amount)::text AS owed FROM (
           SELECT merchant_id, amount FROM payments WHERE status = 'completed'
           UNION ALL SELECT merchant_id, -amount FROM withdrawals WHERE status = 'settled') AS moves
         GROUP BY 1`,
      );
      // Sent before `since`: inside the end offsets the ledger had consumed before its snapshot.
      const recent = await tx.query<{ ce_id: string; ce_type: string; value: string }>(
        `SELECT headers->>'ce_id' AS ce_id, headers->>'ce_type' AS ce_type, value FROM outbox
         WHERE topic = $1 AND headers->>'ce_type' = ANY($2::text[]) AND (sent_at IS NULL OR sent_at >= $3)`,
        [paymentsTopic, [paymentContracts.paymentCompleted.type, paymentContracts.withdrawalSettled.type], since],
      );
      return { owed: holdings(owed.rows), recent: recent.rows };
    });
    const bookedRecent = await booked(
      ledger,
      payments.recent.map((r) => r.ce_id),
    );
    const later: Holdings = new Map();
    let inFlight = 0;
    for (const row of payments.recent) {
      if (bookedRecent.has(row.ce_id)) continue;
      const data = JSON.parse(row.value) as { merchantId: string; amountMinor: number };
      later.set(data.merchantId, (later.get(data.merchantId) ?? 0) + effectOf(row.ce_type) * data.amountMinor);
      inFlight++;
    }
    const asOfLedger = withoutEffects(payments.owed, later);
    const drift = reconcile({ journal: holdings(journal.rows), accounts: holdings(accounts.rows), payments: asOfLedger });
    const problems = eventCoverage(
      events.effects,
      await booked(
        ledger,
        events.effects.map((e) => e.eventId),
      ),
    );
    return {
      merchants: new Set([...holdings(journal.rows).keys(), ...payments.owed.keys()]).size,
      drift,
      unbalanced: unbalanced.rowCount ?? 0,
      negative: negative.rowCount ?? 0,
      inFlight,
      window: { events: events.effects.length, duplicates: events.duplicates, problems },
    };
  });
}
