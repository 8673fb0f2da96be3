/**
 * Payments under chaos on the local platform (the kind chart's payments and ledger Pods, run by
 * the node agent): ~200 money movements per second from clients that retry with their
 * Idempotency-Key, while the ledger is SIGKILLed mid-batch, Kafka is SIGKILLed and restarted,
 * PostgreSQL restarts and payments (with its relay) is SIGKILLed. Afterwards the invariants hold
 * exactly: the journal, the balances, the payments database and payments.events agree for every
 * merchant to the minor unit, every journal transaction sums to zero, no balance is negative, no
 * event was applied twice, and both dead-letter topics are empty.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../bench/lib/stats.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/local/platform.ts';
import { fromEvents, fromLedger, fromPayments, reconcile } from '../../services/ledger/reconcile.ts';

let platform: LocalPlatform;
const database = (name: string) =>
  new pg.Pool({ connectionString: Object.assign(new URL(platform.postgres.endpoint), { pathname: `/${name}` }).toString(), max: 2 });

beforeAll(async () => {
  platform = await startLocalPlatform({
    logDir: mkdtempSync(join(tmpdir(), 'eventide-payments-chaos-')),
    backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
  });
}, 300_000);
afterAll(async () => platform?.stop(), 120_000);

interface Outcome {
  ok: number;
  retried: number;
  gaveUp: number;
  statuses: Record<string, number>;
}

/** One money movement as a careful client sends it: the same Idempotency-Key until it gets an answer. */
async function movement(outcome: Outcome, path: string, body: unknown): Promise<Response | undefined> {
  const key = randomUUID();
  for (let attempt = 0; attempt < 40; attempt++) {
    const response = await fetch(`${platform.payments.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    const status = response ? String(response.status) : 'network';
    if (response && response.status < 500) {
      outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
      outcome.ok++;
      return response;
    }
    outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
    outcome.retried++;
    await sleep(500);
  }
  outcome.gaveUp++;
  return undefined;
}

describe('payments under chaos', () => {
  it('~200 movements/s through SIGKILLs of ledger, Kafka and payments and a PostgreSQL restart: the books agree exactly', async () => {
    const outcome: Outcome = { ok: 0, retried: 0, gaveUp: 0, statuses: {} };
    const merchants: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await movement(outcome, '/merchants', { name: `Shop ${i}`, email: `shop${i}@shop.example`, currency: 'EUR' });
      if (created?.status !== 201) throw new Error(`creating a merchant answered ${created?.status}`);
      merchants.push(((await created.json()) as { id: string }).id);
    }
    const pending: { merchant: string; payment: string }[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const faults: string[][] = [];
    const faultErrors: string[] = [];
    const fault = async (name: string, act: () => Promise<void>) => {
      const started = Date.now();
      await act().catch((error: unknown) => void faultErrors.push(`${name}: ${(error as Error).message}`));
      faults.push([name, `${((Date.now() - started) / 1000).toFixed(1)} s`]);
    };
    // A running process, Ready or not: Kafka coming back may have taken its readiness for the moment.
    const killPod = (app: string) => async () => {
      const victim = platform.agent.pods(app).find((p) => p.pid !== undefined);
      if (!victim) throw new Error(`no running ${app} Pod to kill`);
      platform.killPod(victim.name);
      await sleep(1_000);
    };
    const schedule = [
      { at: 5_000, name: 'SIGKILL ledger', act: killPod('ledger') },
      {
        at: 10_000,
        name: 'SIGKILL Kafka, restart after 3 s',
        act: async () => {
          await platform.kafka.kill();
          await sleep(3_000);
          await platform.kafka.start();
        },
      },
      {
        at: 17_000,
        name: 'restart PostgreSQL',
        act: async () => {
          await platform.postgres.stop();
          await sleep(2_000);
          await platform.postgres.start();
        },
      },
      { at: 23_000, name: 'SIGKILL payments (relay inside)', act: killPod('payments') },
    ];
    const faulting: Promise<void>[] = [];
    const started = Date.now();
    for (let i = 0; Date.now() - started < 30_000; i++) {
      const next = schedule[0];
      if (next && Date.now() - started >= next.at) {
        schedule.shift();
        faulting.push(fault(next.name, next.act));
      }
      // Each merchant in turn gets ten operations: payments, completions and withdrawals.
      const merchant = merchants[Math.floor(i / 10) % merchants.length] as string;
      const roll = i % 10;
      const op =
        roll < 4
          ? movement(outcome, `/merchants/${merchant}/payments`, { amountMinor: 100 + (i % 900), currency: 'EUR' }).then(async (r) => {
              if (r?.status === 201) pending.push({ merchant, payment: ((await r.json()) as { id: string }).id });
            })
          : roll < 8 && pending.length > 0
            ? (() => {
                const { merchant: m, payment } = pending.shift() as { merchant: string; payment: string };
                return movement(outcome, `/merchants/${m}/payments/${payment}/complete`, null);
              })()
            : movement(outcome, `/merchants/${merchant}/withdrawals`, { amountMinor: 50 + (i % 400) });
      inFlight.add(op);
      void op.finally(() => inFlight.delete(op));
      await sleep(5);
    }
    await Promise.all(faulting);
    expect(faultErrors, 'every fault struck').toEqual([]);
    await Promise.all(inFlight);
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `[payments chaos] ${outcome.ok} movements answered in ${seconds.toFixed(0)} s, ${outcome.retried} retries, statuses ${JSON.stringify(outcome.statuses)}`,
    );
    expect(outcome.gaveUp).toBe(0);
    expect(Object.keys(outcome.statuses).filter((s) => !['200', '201', '202', '409', '503', 'network'].includes(s))).toEqual([]);

    const ledgerDb = database('ledger');
    const paymentsDb = database('payments');
    const kafka = kafkaClient({ clientId: 'payments-chaos', brokers: platform.kafka.brokers });
    try {
      // Settled: nothing waits in either outbox and no withdrawal waits for the ledger's answer.
      const deadline = Date.now() + 180_000;
      let waiting = '';
      for (;;) {
        const unsent = async (db: pg.Pool) =>
          Number((await db.query('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL')).rows[0]?.n ?? 0);
        const requested = Number(
          (await paymentsDb.query("SELECT count(*) AS n FROM withdrawals WHERE status = 'requested'")).rows[0]?.n ?? 0,
        );
        const [a, b] = await Promise.all([unsent(paymentsDb), unsent(ledgerDb)]).catch(() => [1, 1]);
        waiting = `payments outbox ${a}, ledger outbox ${b}, withdrawals requested ${requested}`;
        if (a === 0 && b === 0 && requested === 0) break;
        if (Date.now() > deadline) throw new Error(`not settled after 180 s: ${waiting}`);
        await sleep(500);
      }
      const agree = async () => {
        const [books, owed, events] = await Promise.all([fromLedger(ledgerDb), fromPayments(paymentsDb), fromEvents(kafka)]);
        return {
          drift: reconcile({ journal: books.journal, accounts: books.accounts, payments: owed, events: events.holdings }),
          books,
          events,
        };
      };
      let result = await agree();
      for (let i = 0; i < 60 && result.drift.length > 0; i++) {
        await sleep(1_000);
        result = await agree();
      }
      const twice = await ledgerDb.query('SELECT description FROM journal_transactions GROUP BY description HAVING count(*) > 1');
      const admin = kafka.admin();
      await admin.connect();
      const dead = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
      const dlq = { ledger: await dead('ledger.dlq'), payments: await dead('payments.dlq') };
      await admin.disconnect();
      const states = await paymentsDb.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM withdrawals GROUP BY status ORDER BY status',
      );
      console.log(
        `\n[payments chaos] ${table(['fault', 'took'], faults)}\n  ${result.events.events} events on payments.events (${result.events.duplicates} redelivered copies), withdrawals ${JSON.stringify(Object.fromEntries(states.rows.map((r) => [r.status, r.n])))}, drift ${result.drift.length}\n`,
      );
      expect(result.drift).toEqual([]);
      expect(result.books).toMatchObject({ unbalanced: 0, negative: 0 });
      expect(twice.rows, 'journal transactions applied twice').toEqual([]);
      expect(dlq).toEqual({ ledger: 0, payments: 0 });
      expect(result.events.events).toBeGreaterThan(1_000);
      // The saga ran both ways: withdrawals were covered and settled, and others refused.
      const count = (status: string) => states.rows.find((r) => r.status === status)?.n ?? 0;
      expect(count('settled')).toBeGreaterThan(0);
      expect(count('rejected')).toBeGreaterThan(0);
    } finally {
      await Promise.allSettled([ledgerDb.end(), paymentsDb.end()]);
    }
  }, 600_000);
});
