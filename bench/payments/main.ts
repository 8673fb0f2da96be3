/**
 * Money movements end to end — a payment's completion acknowledged → the merchant's balance
 * reflects it — for Eventide's design (payments → outbox → relay → payments.events → ledger:
 * inbox, double-entry journal) beside the original (commit, then publish to Kafka; a consumer
 * adds to the balance without deduplication), on the same PostgreSQL and Kafka in the same run.
 * Both consumers run as their own processes so that they can be SIGKILLed:
 *
 * 1. steady: N completions at a concurrency of C; completions/s until reflected, and latency p50/p99;
 * 2. crash: N more, with the consumer SIGKILLed 1 s in and restarted; then the number of
 *    completions each design applied more than once.
 *
 * Eventide's calls carry tokens from devkit/token-issuer (a platform administrator's; completions the
 * payment provider's), so each completion also verifies a JWT (Ed25519); the original has no API.
 *
 *   BENCH_MOVEMENTS (default 2000 per phase), BENCH_CONCURRENCY (default 16)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { launchProgram } from '../../devkit/process.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { principals, startTokenIssuer } from '../../devkit/token-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { deadLetterTopic } from '../../lib/consumer/dead-letter.ts';
import { createLogger } from '../../lib/log.ts';
import { tokenSource } from '../../scripts/local/credentials.ts';
import { ledgerTopic } from '../../services/ledger/events.ts';
import { paymentsConfig } from '../../services/payments/config.ts';
import { paymentsTopic } from '../../services/payments/events.ts';
import { startPayments } from '../../services/payments/service.ts';

const movements = Number(process.env.BENCH_MOVEMENTS ?? 2000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const logDir = mkdtempSync(join(tmpdir(), 'eventide-bench-payments-'));

const postgres = await startPostgres();
const kafka = await startKafka();
const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({
  topics: [
    ...[paymentsTopic, ledgerTopic, 'original.payments'].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
    ...['ledger', 'payments'].map((group) => ({ topic: deadLetterTopic(group), numPartitions: 1, replicationFactor: 1 })),
  ],
  waitForLeaders: true,
});
const databaseUrl = async (name: string) => {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return Object.assign(new URL(postgres.url), { pathname: `/${name}` }).toString();
};
const issuer = await startTokenIssuer();
// Renewed a minute before they expire: a large BENCH_MOVEMENTS outlives a token (15 minutes).
const tokens = {
  admin: tokenSource(() => issuer.token(principals.platformAdmin())),
  provider: tokenSource(() => issuer.token(principals.provider())),
};
const ledgerUrl = await databaseUrl('ledger');
const ledgerDb = new pg.Pool({ connectionString: ledgerUrl, max: 4 });
const ledgerEnv = {
  KAFKA_BROKERS: kafka.endpoint,
  DATABASE_URL: ledgerUrl,
  PORT: '0',
  LOG_LEVEL: 'warn',
  IDENTITY_JWKS_URL: issuer.jwksUrl,
};
const startLedger = () => launchProgram('services/ledger/main.ts', { name: 'ledger', logDir, env: ledgerEnv });
const payments = await startPayments({
  config: loadConfig('payments', paymentsConfig, {
    KAFKA_BROKERS: kafka.endpoint,
    DATABASE_URL: await databaseUrl('payments'),
    PORT: String(await freePort()),
    MAX_AMOUNT_MINOR: '1000000',
    IDENTITY_JWKS_URL: issuer.jwksUrl,
  }),
  log: createLogger('payments', 'warn'),
  exit: (_c, reason) => {
    throw new Error(reason);
  },
});

// The original design: a payments table, then a publish after the commit; a consumer of its own.
const originalUrl = await databaseUrl('original');
const originalDb = new pg.Pool({ connectionString: originalUrl, max: 20 });
await originalDb.query(`
  CREATE TABLE payments (id uuid PRIMARY KEY, merchant_id uuid NOT NULL, amount bigint NOT NULL, status text NOT NULL);
  CREATE TABLE balances (merchant_id uuid PRIMARY KEY, available bigint NOT NULL);
  CREATE TABLE applied (payment_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp());`);
const producer = new kafkajs.Kafka({
  clientId: 'original-payments',
  brokers: kafka.brokers,
  logLevel: kafkajs.logLevel.NOTHING,
}).producer();
await producer.connect();
const startOriginal = () =>
  launchProgram('bench/payments/original-ledger.ts', {
    name: 'original-ledger',
    logDir,
    env: { KAFKA_BROKERS: kafka.endpoint, DATABASE_URL: originalUrl },
  });

const call = async (path: string, body: unknown, token = tokens.admin) => {
  const response = await payments.app.request(`/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), authorization: `Bearer ${await token()}` },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string };
};
const merchants: string[] = [];
for (let i = 0; i < 20; i++)
  merchants.push((await call('/merchants', { name: `Shop ${i}`, email: `s${i}@shop.example`, currency: 'EUR' })).id);

/** Runs `work` over `count` items, `concurrency` at a time; returns each item's start time. */
async function pool<T>(items: T[], work: (item: T) => Promise<void>): Promise<Map<T, number>> {
  const starts = new Map<T, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        starts.set(item, Date.now());
        await work(item);
      }
    }),
  );
  return starts;
}

interface Phase {
  perSecond: number;
  p50: number;
  p99: number;
  doubled: number;
}

async function eventide(crash: boolean, ledger: { proc: ReturnType<typeof startLedger> }): Promise<Phase> {
  const created: { merchant: string; id: string }[] = [];
  for (let i = 0; i < movements; i++) {
    const merchant = merchants[i % merchants.length] as string;
    created.push({ merchant, id: (await call(`/merchants/${merchant}/payments`, { amountMinor: 100, currency: 'EUR' })).id });
  }
  const first = Date.now();
  const killing = crash
    ? (async () => {
        await sleep(1_000);
        await ledger.proc.kill();
        await sleep(1_000);
        ledger.proc = startLedger();
      })()
    : Promise.resolve();
  const starts = await pool(
    created,
    async (p) => void (await call(`/merchants/${p.merchant}/payments/${p.id}/complete`, null, tokens.provider)),
  );
  await killing;
  const descriptions = created.map((p) => `payment ${p.id} completed`);
  let rows: { description: string; created_at: Date; n: number }[] = [];
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(100)) {
    rows = (
      await ledgerDb.query(
        'SELECT description, min(created_at) AS created_at, count(*)::int AS n FROM journal_transactions WHERE description = ANY($1) GROUP BY description',
        [descriptions],
      )
    ).rows;
    if (rows.length === created.length) break;
  }
  const byDescription = new Map(created.map((p) => [`payment ${p.id} completed`, starts.get(p) ?? first]));
  const latencies = rows.map((r) => r.created_at.getTime() - (byDescription.get(r.description) ?? first));
  const last = Math.max(...rows.map((r) => r.created_at.getTime()));
  return {
    perSecond: rows.length / ((last - first) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    doubled: rows.filter((r) => r.n > 1).length,
  };
}

async function original(crash: boolean, consumer: { proc: ReturnType<typeof startOriginal> }): Promise<Phase> {
  const created: { merchant: string; id: string }[] = [];
  for (let i = 0; i < movements; i++) {
    const merchant = merchants[i % merchants.length] as string;
    const id = randomUUID();
    await originalDb.query("INSERT INTO payments (id, merchant_id, amount, status) VALUES ($1, $2, 100, 'created')", [id, merchant]);
    created.push({ merchant, id });
  }
  const first = Date.now();
  const killing = crash
    ? (async () => {
        await sleep(1_000);
        await consumer.proc.kill();
        await sleep(1_000);
        consumer.proc = startOriginal();
      })()
    : Promise.resolve();
  const starts = await pool(created, async (p) => {
    await originalDb.query("UPDATE payments SET status = 'completed' WHERE id = $1", [p.id]);
    await producer.send({
      topic: 'original.payments',
      acks: -1,
      messages: [{ key: p.merchant, value: JSON.stringify({ paymentId: p.id, merchantId: p.merchant, amountMinor: 100 }) }],
    });
  });
  await killing;
  const ids = created.map((p) => p.id);
  let rows: { payment_id: string; applied_at: Date; n: number }[] = [];
  let stableSince = Date.now();
  let seen = -1;
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(100)) {
    rows = (
      await originalDb.query(
        'SELECT payment_id, min(applied_at) AS applied_at, count(*)::int AS n FROM applied WHERE payment_id = ANY($1) GROUP BY payment_id',
        [ids],
      )
    ).rows;
    const total = rows.reduce((n, r) => n + r.n, 0);
    if (total !== seen) [seen, stableSince] = [total, Date.now()];
    if (rows.length === created.length && Date.now() - stableSince > 3_000) break;
  }
  const latencies = rows.map(
    (r) => r.applied_at.getTime() - (starts.get(created.find((p) => p.id === r.payment_id) as { merchant: string; id: string }) ?? first),
  );
  const last = Math.max(...rows.map((r) => r.applied_at.getTime()));
  return {
    perSecond: rows.length / ((last - first) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    doubled: rows.filter((r) => r.n > 1).length,
  };
}

const ledgerProc = { proc: startLedger() };
const originalProc = { proc: startOriginal() };
try {
  await sleep(5_000);
  const results: [string, string, Phase][] = [];
  for (const crash of [false, true]) {
    results.push(['eventide', crash ? 'consumer SIGKILLed' : 'steady', await eventide(crash, ledgerProc)]);
    results.push(['original', crash ? 'consumer SIGKILLed' : 'steady', await original(crash, originalProc)]);
    for (const [design, phase, r] of results.slice(-2))
      console.log(`${phase}: ${design}: ${r.perSecond.toFixed(0)}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, applied twice ${r.doubled}`);
  }
  console.log(
    `\n${movements} completions per phase, ${concurrency} concurrent\n${table(
      ['phase', 'design', 'completions/s until reflected', 'p50', 'p99', 'applied twice'],
      results.map(([design, phase, r]) => [phase, design, r.perSecond.toFixed(0), `${r.p50} ms`, `${r.p99} ms`, String(r.doubled)]),
    )}`,
  );
} finally {
  await Promise.allSettled([ledgerProc.proc.kill(), originalProc.proc.kill()]);
  await payments.stop().catch(() => undefined);
  await Promise.allSettled([producer.disconnect(), admin.disconnect(), ledgerDb.end(), originalDb.end()]);
  await Promise.allSettled([kafka.stop(), postgres.stop(), issuer.stop()]);
}
