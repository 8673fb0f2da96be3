/**
 * Money movements end to end — a payment's completion acknowledged → the merchant's balance
 * reflects it — for Eventide's design (payments → outbox → relay → payments.events → ledger:
 * inbox, double-entry journal) beside the original (original-payments.ts: commit, then publish to
 * Kafka; original-ledger.ts adds to the balance without deduplication), like for like:
 *
 * - each design's services in their own processes, tracing off, on one PostgreSQL with production
 *   durability (fsync and synchronous_commit on) and one Kafka;
 * - the driver calls both over HTTP on 127.0.0.1, the same requests at the same concurrency: it
 *   creates N payments (not measured), waits until nothing is in flight, then completes them;
 * - "reflected" is the commit time of the balance's change (track_commit_timestamp), for both;
 * - rounds interleaved, each design first as often as second; medians and spread (min–max);
 * - CPU per completion of each process (bench/lib/cpu.ts), so that a ratio can be explained.
 *
 * Then one crash phase per design: its consumer SIGKILLed once a third of the completions are
 * reflected and restarted at once; the completions it applied more than once.
 *
 * Requests carry tokens from devkit/token-issuer (a platform administrator's; completions the
 * payment provider's): Eventide verifies them (a JWT, Ed25519), the original predates
 * authorization and idempotency keys and ignores both.
 *
 *   BENCH_MOVEMENTS (default 2000 per round), BENCH_CONCURRENCY (16), BENCH_ROUNDS (2, made even)
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
import { launchProgram, waitUntilReady } from '../../devkit/process.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { principals, startTokenIssuer } from '../../devkit/token-issuer.ts';
import { deadLetterTopic } from '../../lib/consumer/dead-letter.ts';
import { type TokenSource, tokenSource } from '../../scripts/local/credentials.ts';
import { ledgerTopic } from '../../services/ledger/events.ts';
import { paymentsTopic } from '../../services/payments/events.ts';
import { type CpuSample, cpuPerEvent, type Processes, sampleCpu } from '../lib/cpu.ts';
import { interleaved, medianAndSpread, roundOrder, roundsMedian } from '../lib/rounds.ts';

const movements = Number(process.env.BENCH_MOVEMENTS ?? 2000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = roundOrder([], Number(process.env.BENCH_ROUNDS ?? 2)).length;
const logDir = mkdtempSync(join(tmpdir(), 'eventide-bench-payments-'));
const originalTopic = 'original.payments';
const names = ['eventide', 'original'] as const;
type Name = (typeof names)[number];

/** Polls `probe` every 100 ms until it gives a value: state, not time, ends a wait; 5 minutes is a failure. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(100)) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
  }
  throw new Error(`not ${what} within 5 minutes; logs in ${logDir}`);
}

/** `work` over `items`, BENCH_CONCURRENCY at a time; the results in the items' order. */
async function pool<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}

/** One POST, the same for both designs: JSON, an Idempotency-Key and a bearer token. */
async function post(url: string, path: string, body: unknown, token: TokenSource): Promise<{ id: string }> {
  const response = await fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), authorization: `Bearer ${await token()}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string };
}

// Tracing off on both sides: no OpenTelemetry variable of this shell reaches a service.
const untraced = Object.fromEntries(Object.keys(process.env).flatMap((k) => (k.startsWith('OTEL_') ? [[k, undefined]] : [])));

/** A program of this repository in its own process; `crash` SIGKILLs it and starts it again at once. */
function program(name: string, entry: string, env: NodeJS.ProcessEnv) {
  const start = () => launchProgram(entry, { name, logDir, env: { ...untraced, LOG_LEVEL: 'warn', ...env } });
  let proc = start();
  return {
    pid: () => (proc.hasExited() ? undefined : proc.pid),
    ready: (what: string, probe: () => Promise<boolean>) => waitUntilReady(proc, probe, { timeoutMs: 120_000, what }),
    crash: async () => {
      await proc.kill();
      proc = start();
    },
    stop: () => proc.stop(),
  };
}
type Program = ReturnType<typeof program>;

/** What the phases need of a design; everything else about it is its own processes. */
interface Design {
  /** Its HTTP API, which the driver calls. */
  url: string;
  /** SIGKILLed in the crash phase. */
  consumer: Program;
  /** Its own processes, for CPU (PostgreSQL, Kafka and the driver are counted for both). */
  processes: Processes;
  /** For each payment of `ids` applied: when the balance's change committed, and how many times it was applied. */
  reflected(ids: string[]): Promise<{ id: string; at: Date; n: number }[]>;
  /** Nothing in flight: every event published and every record consumed (so no replay is still to come). */
  quiet(): Promise<boolean>;
}

interface Result {
  perSecond: number;
  p50: number;
  p99: number;
  doubled: number;
  /** CPU ms per completion by process, and total. */
  cpu: Record<string, number>;
}

const stops: (() => Promise<unknown>)[] = [];
const postgres = await startPostgres({ durable: true });
stops.push(() => postgres.dispose());
try {
  // The commit time of each row, read as pg_xact_commit_timestamp(xmin): when a balance really changed.
  await withClient(postgres.url, (c) => c.query('ALTER SYSTEM SET track_commit_timestamp = on'));
  await postgres.stop();
  await postgres.start();
  const kafka = await startKafka();
  stops.push(() => kafka.dispose());
  const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  stops.push(() => admin.disconnect());
  await admin.createTopics({
    topics: [
      ...[paymentsTopic, ledgerTopic, originalTopic].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
      ...['ledger', 'payments'].map((group) => ({ topic: deadLetterTopic(group), numPartitions: 1, replicationFactor: 1 })),
    ],
    waitForLeaders: true,
  });
  const issuer = await startTokenIssuer();
  stops.push(() => issuer.stop());
  // Renewed a minute before they expire: a large BENCH_MOVEMENTS outlives a token (15 minutes).
  const tokens = {
    admin: tokenSource(() => issuer.token(principals.platformAdmin())),
    provider: tokenSource(() => issuer.token(principals.provider())),
  };

  /** A database of its own for a design's service, and a one-connection pool the driver reads it with. */
  const database = async (name: string) => {
    await withClient(postgres.url, (c) => c.query(`CREATE DATABASE ${name}`));
    const url = Object.assign(new URL(postgres.url), { pathname: `/${name}` }).toString();
    const db = new pg.Pool({ connectionString: url, max: 1 });
    stops.push(() => db.end());
    return { url, db };
  };
  /** An HTTP service of this repository on a port of its own, ready once /readyz answers 200. */
  const service = async (name: string, entry: string, env: NodeJS.ProcessEnv) => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const p = program(name, entry, { ...env, PORT: new URL(url).port });
    stops.push(() => p.stop());
    await p.ready(`ready on ${url}`, async () => (await fetch(`${url}/readyz`)).ok);
    return { ...p, url };
  };
  /** Ready to consume: its group has settled on its members. */
  const joined = (group: string) => async () => {
    const { groups } = await admin.describeGroups([group]);
    return groups[0]?.state === 'Stable' && groups[0].members.length > 0;
  };
  /** Whether `group` has committed every record of `topic`. */
  const caughtUp = async (group: string, topic: string) => {
    const [[committed], ends] = await Promise.all([
      admin.fetchOffsets({ groupId: group, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    const at = new Map(committed?.partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    return ends.every((e) => (at.get(e.partition) ?? 0) === Number(e.high));
  };

  const services = { KAFKA_BROKERS: kafka.endpoint, IDENTITY_JWKS_URL: issuer.jwksUrl };
  const paymentsDb = await database('payments');
  const ledgerDb = await database('ledger');
  const payments = await service('payments', 'services/payments/main.ts', {
    ...services,
    DATABASE_URL: paymentsDb.url,
    MAX_AMOUNT_MINOR: '1000000',
  });
  const ledger = await service('ledger', 'services/ledger/main.ts', { ...services, DATABASE_URL: ledgerDb.url });
  await ledger.ready('consuming', joined('ledger'));
  const originalDb = await database('original');
  const originalPayments = await service('original-payments', 'bench/payments/original-payments.ts', {
    KAFKA_BROKERS: kafka.endpoint,
    DATABASE_URL: originalDb.url,
    KAFKA_TOPIC: originalTopic,
  });
  const originalLedger = program('original-ledger', 'bench/payments/original-ledger.ts', {
    KAFKA_BROKERS: kafka.endpoint,
    DATABASE_URL: originalDb.url,
    KAFKA_TOPIC: originalTopic,
  });
  stops.push(() => originalLedger.stop());
  await originalLedger.ready('consuming', joined('original-ledger'));

  const designs: Record<Name, Design> = {
    eventide: {
      url: payments.url,
      consumer: ledger,
      processes: { payments: payments.pid, ledger: ledger.pid },
      reflected: async (ids) =>
        (
          await ledgerDb.db.query(
            `SELECT substr(description, 9, 36) AS id, min(pg_xact_commit_timestamp(xmin)) AS at, count(*)::int AS n
               FROM journal_transactions WHERE description = ANY($1) GROUP BY description`,
            [ids.map((id) => `payment ${id} completed`)],
          )
        ).rows,
      quiet: async () =>
        (await paymentsDb.db.query('SELECT 1 FROM outbox WHERE sent_at IS NULL LIMIT 1')).rowCount === 0 &&
        (await caughtUp('ledger', paymentsTopic)),
    },
    original: {
      url: originalPayments.url,
      consumer: originalLedger,
      processes: { 'original-payments': originalPayments.pid, 'original-ledger': originalLedger.pid },
      reflected: async (ids) =>
        (
          await originalDb.db.query(
            `SELECT payment_id::text AS id, min(pg_xact_commit_timestamp(xmin)) AS at, count(*)::int AS n
               FROM applied WHERE payment_id = ANY($1::uuid[]) GROUP BY payment_id`,
            [ids],
          )
        ).rows,
      quiet: () => caughtUp('original-ledger', originalTopic),
    },
  };
  // Every process is named in each sample, so that the driver's tree (it started them all) is the driver alone.
  const everyone: Processes = {
    ...designs.eventide.processes,
    ...designs.original.processes,
    postgres: () => postgres.pid(),
    kafka: () => kafka.pid(),
    driver: () => process.pid,
  };
  const shared = ['postgres', 'kafka', 'driver'];
  const ownProcesses = (design: Design) => [...Object.keys(design.processes), ...shared];
  const only = (sample: CpuSample, keep: string[]): CpuSample => ({
    at: sample.at,
    seconds: Object.fromEntries(keep.map((k) => [k, sample.seconds[k] ?? 0])),
  });

  const merchants = await pool(
    Array.from({ length: 20 }, (_, i) => i),
    async (i) =>
      (await post(payments.url, '/merchants', { name: `Shop ${i}`, email: `s${i}@shop.example`, currency: 'EUR' }, tokens.admin)).id,
  );

  /** Creates `count` payments, waits until nothing is in flight, then completes them all and waits until each is reflected. */
  async function phase(name: Name, count: number, crash = false): Promise<Result> {
    const design = designs[name];
    const created = await pool(
      Array.from({ length: count }, (_, i) => merchants[i % merchants.length] as string),
      async (merchant) => ({
        merchant,
        id: (await post(design.url, `/merchants/${merchant}/payments`, { amountMinor: 100, currency: 'EUR' }, tokens.admin)).id,
      }),
    );
    await until('quiet before completing', design.quiet);
    const before = sampleCpu(everyone);
    const started = new Map<string, number>();
    const ids = created.map((p) => p.id);
    // Killed while it applies (a third reflected, the rest still coming), so most likely mid-batch.
    const crashing = crash
      ? until('a third reflected', async () => (await design.reflected(ids)).length >= count / 3).then(() => design.consumer.crash())
      : undefined;
    await pool(created, async (p) => {
      started.set(p.id, Date.now());
      await post(design.url, `/merchants/${p.merchant}/payments/${p.id}/complete`, null, tokens.provider);
    });
    await crashing;
    let rows = await until('reflected', async () => {
      const r = await design.reflected(ids);
      return r.length === count && r;
    });
    const after = sampleCpu(everyone);
    // A replay comes after the first application: count doubles once the consumer has committed everything.
    if (crash) rows = await until('quiet after the crash', async () => (await design.quiet()) && design.reflected(ids));
    const first = Math.min(...started.values());
    const latencies = rows.map((r) => r.at.getTime() - (started.get(r.id) ?? first));
    const last = Math.max(...rows.map((r) => r.at.getTime()));
    const own = ownProcesses(design);
    return {
      perSecond: count / ((last - first) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      doubled: rows.filter((r) => r.n > 1).length,
      cpu: cpuPerEvent(only(before, own), only(after, own), count),
    };
  }

  console.log(
    `bench/payments: ${rounds} rounds × ${movements} completions per design, ${concurrency} concurrent, PostgreSQL fsync on; logs in ${logDir}`,
  );
  // Warm both paths (JIT, connection pools, partition assignment) before anything is measured.
  for (const name of names) await phase(name, Math.min(movements, 200));
  const results = await interleaved(names, rounds, async (name, round) => {
    const r = await phase(name, movements);
    console.log(
      `  round ${round + 1} ${name.padEnd(8)} ${r.perSecond.toFixed(0)} completions/s, p50 ${r.p50} ms, p99 ${r.p99} ms, CPU ${r.cpu.total?.toFixed(2)} ms/completion`,
    );
    return r;
  });
  const doubled = new Map<Name, number>();
  for (const name of names) {
    const r = await phase(name, movements, true);
    doubled.set(name, r.doubled);
    console.log(
      `  crash   ${name.padEnd(8)} consumer SIGKILLed and restarted: ${r.perSecond.toFixed(0)} completions/s, applied twice ${r.doubled}`,
    );
  }

  const of = (name: Name, figure: (r: Result) => number) => (results.get(name) ?? []).map(figure);
  const figures: [string, (r: Result) => number][] = [
    ['completions/s until reflected', (r) => r.perSecond],
    ['p50 ms', (r) => r.p50],
    ['p99 ms', (r) => r.p99],
  ];
  console.log(
    `\n${movements} completions per round, ${concurrency} concurrent, ${rounds} rounds: median (min–max)\n${table(
      ['design', ...figures.map(([label]) => label), 'applied twice after a SIGKILL'],
      [
        ...names.map((name) => [name, ...figures.map(([, f]) => medianAndSpread(of(name, f))), String(doubled.get(name))]),
        [
          'eventide / original',
          ...figures.map(([, f]) => (roundsMedian(of('eventide', f)) / roundsMedian(of('original', f))).toFixed(2)),
          '',
        ],
      ],
    )}`,
  );
  const processes = [...names.flatMap((name) => Object.keys(designs[name].processes)), ...shared, 'total'];
  console.log(
    `\nCPU ms per completion by process, median over the rounds\n${table(
      ['process', ...names],
      processes.map((p) => [
        p,
        ...names.map((name) => {
          const values = of(name, (r) => r.cpu[p] ?? Number.NaN).filter((v) => !Number.isNaN(v));
          return values.length > 0 ? roundsMedian(values).toFixed(2) : '—';
        }),
      ]),
    )}`,
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
