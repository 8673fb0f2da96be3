// @needs kafka postgres
/**
 * `make reconcile` where the platform runs and while it runs: the CLI over the broker's TLS + SCRAM
 * listener with the services' settings, during a stream of payments (movements in flight are set
 * aside, not drift), after the topic's retention dropped its oldest events (not drift either), and
 * with a planted drift (exit 1, the merchant and the amounts named).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type SecureListener, truncateTopics } from '../devkit/kafka.ts';
import { freePort } from '../devkit/ports.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../devkit/token-issuer.ts';
import { loadConfig } from '../lib/config.ts';
import { kafkaClient } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { freshDatabase } from '../services/catalog/testing/fixtures.ts';
import { ledgerConfig } from '../services/ledger/config.ts';
import { ledgerTopic } from '../services/ledger/events.ts';
import { fromEvents, fromLedger, fromPayments, reconcile } from '../services/ledger/reconcile.ts';
import { startLedger } from '../services/ledger/service.ts';
import { paymentsConfig } from '../services/payments/config.ts';
import { paymentsTopic } from '../services/payments/events.ts';
import { startPayments } from '../services/payments/service.ts';
import { repoRoot } from '../shared/versions.ts';

const run = promisify(execFile);
const brokers = inject('kafkaBrokers');
const kafka = kafkaClient({ clientId: 'reconcile-test', brokers: brokers.split(',') });
const admin = kafka.admin();
const suffix = randomUUID().slice(0, 8);
const groups = { ledger: `ledger-reconcile-${suffix}`, payments: `payments-reconcile-${suffix}` };
const exit = (code: number, reason: string) => {
  throw new Error(`a service asked to exit ${code}: ${reason}`);
};
let payments: Awaited<ReturnType<typeof startPayments>>;
let ledger: Awaited<ReturnType<typeof startLedger>>;
let urls: { ledger: string; payments: string };
let paymentsDb: pg.Pool;
let ledgerDb: pg.Pool;
let issuer: TokenIssuer;
let as: { admin: Record<string, string>; provider: Record<string, string> };

const secure = (): SecureListener => {
  const provided = inject('kafkaSecure');
  if (!provided) throw new Error('this suite needs the local broker (its secure listener): unset EVENTIDE_KAFKA_BROKERS');
  return JSON.parse(provided) as SecureListener;
};
/** The CLI as an operator runs it against a cluster: the databases, the secure listener, the ledger's group. */
async function cli(): Promise<{ code: number; stdout: string; stderr: string }> {
  const listener = secure();
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'scripts/reconcile.ts')], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        LEDGER_DATABASE_URL: urls.ledger,
        PAYMENTS_DATABASE_URL: urls.payments,
        KAFKA_BROKERS: listener.brokers.join(','),
        KAFKA_CA: listener.ca,
        KAFKA_SASL_USERNAME: listener.username,
        KAFKA_SASL_PASSWORD: listener.password,
        LEDGER_GROUP: groups.ledger,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
async function post(path: string, body: unknown, caller: Record<string, string>): Promise<{ id: string }> {
  const response = await payments.app.request(`/api/v1${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...caller },
  });
  if (response.status >= 300) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string };
}
const paidIn = async (merchant: string, amountMinor: number) => {
  const payment = await post(`/merchants/${merchant}/payments`, { amountMinor, currency: 'EUR' }, as.admin);
  await post(`/merchants/${merchant}/payments/${payment.id}/complete`, null, as.provider);
};
async function settled(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const unsent = await paymentsDb.query('SELECT 1 FROM outbox WHERE sent_at IS NULL');
    const [books, owed] = [await fromLedger(ledgerDb), await fromPayments(paymentsDb)];
    if (unsent.rowCount === 0 && reconcile({ journal: books.journal, payments: owed, accounts: books.accounts }).length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the ledger did not catch up');
}

beforeAll(async () => {
  await admin.connect();
  const existing = await admin.listTopics();
  await admin.createTopics({
    topics: [paymentsTopic, ledgerTopic, `${groups.ledger}.dlq`, `${groups.payments}.dlq`]
      .filter((t) => !existing.includes(t))
      .map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : 3, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  // This ledger is the platform's one ledger for the suite: what earlier suites left on the shared
  // topic is not its history (suites run one at a time).
  await truncateTopics(admin, [paymentsTopic, ledgerTopic]);
  issuer = await startTokenIssuer();
  as = { admin: await issuer.bearer(principals.platformAdmin()), provider: await issuer.bearer(principals.provider()) };
  const server = inject('databaseUrl');
  urls = { ledger: await freshDatabase(server), payments: await freshDatabase(server) };
  ledger = await startLedger({
    config: loadConfig('ledger', ledgerConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: urls.ledger,
      PORT: String(await freePort()),
      KAFKA_GROUP_ID: groups.ledger,
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: createLogger('ledger', 'warn'),
    exit,
  });
  payments = await startPayments({
    config: loadConfig('payments', paymentsConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: urls.payments,
      PORT: String(await freePort()),
      KAFKA_GROUP_ID: groups.payments,
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: createLogger('payments', 'warn'),
    exit,
  });
  ledgerDb = new pg.Pool({ connectionString: urls.ledger, max: 2 });
  paymentsDb = new pg.Pool({ connectionString: urls.payments, max: 2 });
  const deadline = Date.now() + 60_000;
  while ((await payments.app.request('/readyz')).status !== 200 || (await ledger.app.request('/readyz')).status !== 200) {
    if (Date.now() > deadline) throw new Error('payments and the ledger did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([payments?.stop(), ledger?.stop()]);
  // Nor is this suite's history any later suite's.
  await truncateTopics(admin, [paymentsTopic, ledgerTopic]).catch(() => undefined);
  await Promise.allSettled([admin.disconnect(), ledgerDb?.end(), paymentsDb?.end(), issuer?.stop()]);
});

describe('make reconcile against a live platform', () => {
  const merchants: string[] = [];

  it('over TLS + SCRAM, while payments keep flowing: the books agree at one point (exit 0)', async () => {
    for (let i = 0; i < 4; i++)
      merchants.push((await post('/merchants', { name: `Shop ${i}`, email: `s${i}@shop.example`, currency: 'EUR' }, as.admin)).id);
    for (const m of merchants) await paidIn(m, 1_000);
    await settled();
    let flowing = true;
    const stream = (async () => {
      for (let i = 0; flowing; i++) await paidIn(merchants[i % merchants.length] as string, 10 + i);
    })();
    try {
      const result = await cli();
      expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/4 merchants at one point/);
      expect(result.stdout).toMatch(/0 merchants drifting, 0 events not booked as published/);
    } finally {
      flowing = false;
      await stream;
    }
  });

  it('after retention dropped the oldest events: still no drift (summing the topic from its start would call it one)', async () => {
    await settled();
    const offsets = await admin.fetchTopicOffsets(paymentsTopic);
    await admin.deleteTopicRecords({
      topic: paymentsTopic,
      partitions: offsets.map((p) => ({ partition: p.partition, offset: String(Math.floor(Number(p.high) / 2)) })),
    });
    const [books, owed, events] = await Promise.all([fromLedger(ledgerDb), fromPayments(paymentsDb), fromEvents(kafka)]);
    expect(reconcile({ journal: books.journal, accounts: books.accounts, payments: owed, events: events.holdings }).length).toBeGreaterThan(
      0,
    );
    const result = await cli();
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/0 merchants drifting, 0 events not booked as published/);
  });

  it('a planted drift: exit 1, naming the merchant and each figure', async () => {
    const m = merchants[0] as string;
    await paymentsDb.query("INSERT INTO withdrawals (id, merchant_id, amount, currency, status) VALUES ($1, $2, 7, 'EUR', 'settled')", [
      randomUUID(),
      m,
    ]);
    const result = await cli();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`drift ${m}: .*"payments":`));
    expect(result.stdout).toMatch(/1 merchants drifting/);
  });
});
