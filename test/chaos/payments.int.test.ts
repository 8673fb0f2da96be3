import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../../devkit/stats.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { platformCallers } from '../../scripts/local/credentials.ts';
import { runPaymentsLoad } from '../../scripts/local/payments-load.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/local/platform.ts';
import { fromEvents, fromLedger, fromPayments, reconcile } from '../../services/ledger/reconcile.ts';

let platform: LocalPlatform;
const database = (name: string) =>
  new pg.Pool({ connectionString: Object.assign(new URL(platform.postgres.endpoint), { pathname: `/${name}` }).toString(), max: 2 });

beforeAll(async () => {
  platform = await startLocalPlatform({
    logDir: mkdtempSync(join(tmpdir(), 'eventide-payments-chaos-')),
    examples: false,
    backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
  });
}, 300_000);
afterAll(async () => platform?.stop(), 120_000);

describe('payments under chaos', () => {
  it('~200 movements/s through SIGKILLs of ledger, Kafka and payments and a PostgreSQL restart: the books agree exactly', async () => {
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
    const outcome = await runPaymentsLoad({
      paymentsUrl: platform.payments.url,
      identityUrl: platform.identity.url,
      callers: platformCallers(platform.kc, platform.identity.url),
      rate: 200,
      durationSeconds: 30,
      onTick: (elapsed) => {
        const next = schedule[0];
        if (next && elapsed >= next.at) {
          schedule.shift();
          faulting.push(fault(next.name, next.act));
        }
      },
    });
    await Promise.all(faulting);
    expect(faultErrors, 'every fault struck').toEqual([]);
    console.log(
      `[payments chaos] ${outcome.ok} movements answered in ${outcome.seconds.toFixed(0)} s, ${outcome.retried} retries, statuses ${JSON.stringify(outcome.statuses)}`,
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
