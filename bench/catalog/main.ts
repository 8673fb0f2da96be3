/**
 * The catalog under load, against real PostgreSQL and Kafka, with the catalog as its own process:
 *
 * 1. POST /api/v1/events with autocannon: at a fixed rate, then at saturation. Throughput, latency
 *    p50/p99, and any non-2xx answers. Each POST carries a platform administrator's token (from
 *    devkit/token-issuer), which the catalog verifies (a JWT, Ed25519) as it does in production.
 * 2. The outbox relay's publish rate for a backlog of N changes, beside a bare kafkajs producer
 *    sending the same records in the same run (ratio relay / bare).
 *
 *   BENCH_RATE (default 200 req/s), BENCH_SECONDS (default 15), BENCH_CONNECTIONS (default 20),
 *   BENCH_BACKLOG (default 20000)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { pino } from 'pino';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { launch } from '../../devkit/process.ts';
import { table } from '../../devkit/stats.ts';
import { principals, startTokenIssuer } from '../../devkit/token-issuer.ts';
import { Outbox } from '../../lib/outbox.ts';
import { OutboxRelay } from '../../lib/outbox-relay.ts';
import { changeTopic, toRecord } from '../../services/catalog/events.ts';
import { migrate } from '../../services/catalog/migrations.ts';
import { eventInput } from '../../services/catalog/schema.ts';
import { EventStore } from '../../services/catalog/store.ts';
import { publishedEvent, sampleEvent } from '../../services/catalog/testing/fixtures.ts';
import { repoRoot, versions } from '../../shared/versions.ts';

const rate = Number(process.env.BENCH_RATE ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const backlog = Number(process.env.BENCH_BACKLOG ?? 20_000);

const postgres = await startPostgres();
const kafka = await startKafka();
const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
const issuer = await startTokenIssuer();
const port = await freePort();
const catalog = launch({
  name: 'catalog',
  command: process.execPath,
  args: [join(repoRoot, 'services/catalog/main.ts')],
  logFile: join(mkdtempSync(join(tmpdir(), 'eventide-bench-')), 'catalog.log'),
  env: {
    ...process.env,
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: kafka.endpoint,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    IDENTITY_JWKS_URL: issuer.jwksUrl,
  },
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; i < 200; i++) {
  if (
    await fetch(`${base}/readyz`)
      .then((r) => r.ok)
      .catch(() => false)
  )
    break;
  await new Promise((r) => setTimeout(r, 100));
}

const body = JSON.stringify(sampleEvent());
async function load(options: { overallRate?: number }) {
  const result = await autocannon({
    url: `${base}/api/v1/events`,
    method: 'POST',
    // A token per load: tokens live 15 minutes, and a long BENCH_SECONDS would outlive one.
    headers: { 'content-type': 'application/json', ...(await issuer.bearer(principals.platformAdmin())) },
    body,
    connections,
    duration: seconds,
    ...options,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    other: result.non2xx + result.errors,
  };
}

let rows: string[][] = [];
let relayRate = 0;
let bareRate = 0;
try {
  console.log(
    `catalog: PostgreSQL ${versions.postgres}, Kafka ${versions.kafka}, Node ${process.versions.node}, ${cpus().length} cores; ${seconds} s per load, ${connections} connections`,
  );
  await load({ overallRate: 50 }); // warm-up
  const fixed = await load({ overallRate: rate });
  const saturated = await load({});
  rows = [
    [`fixed ${rate} req/s`, fixed.rps.toFixed(0), `${fixed.p50} ms`, `${fixed.p99} ms`, String(fixed.other)],
    ['saturation', saturated.rps.toFixed(0), `${saturated.p50} ms`, `${saturated.p99} ms`, String(saturated.other)],
  ];
  await catalog.stop();

  // The relay: a backlog written straight to the outbox, then drained and timed.
  const pool = new pg.Pool({ connectionString: postgres.url, max: 10 });
  await migrate(pool);
  const store = new EventStore(pool);
  const input = eventInput.parse(sampleEvent());
  for (let written = 0; written < backlog; written += 100) await Promise.all(Array.from({ length: 100 }, () => store.create(input)));
  const pending = (await new Outbox().backlog(pool)).unsent;
  const relay = new OutboxRelay({ databaseUrl: postgres.url, brokers: kafka.brokers, log: pino({ level: 'silent' }), pollMs: 50 });
  const r0 = performance.now();
  relay.start();
  while ((await new Outbox().backlog(pool)).unsent > 0) await new Promise((r) => setTimeout(r, 20));
  relayRate = pending / ((performance.now() - r0) / 1000);
  await relay.stop();

  // The same records from a bare idempotent producer, in batches of the relay's size.
  const producer = new kafkajs.Kafka({ clientId: 'bare', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const records = Array.from({ length: pending }, () => {
    const id = randomUUID();
    const data = publishedEvent(id, 1, input);
    return toRecord({ id: randomUUID(), kind: 'created', entityId: id, version: 1, time: new Date(), data });
  });
  const b0 = performance.now();
  for (let i = 0; i < records.length; i += 500) await producer.send({ topic: changeTopic, acks: -1, messages: records.slice(i, i + 500) });
  bareRate = pending / ((performance.now() - b0) / 1000);
  await producer.disconnect();
  await pool.end();
} finally {
  await catalog.stop();
  await issuer.stop();
  await admin.disconnect();
  await kafka.dispose();
  await postgres.dispose();
}

console.log(`\n${table(['POST /api/v1/events', 'req/s', 'p50', 'p99', 'non-2xx'], rows)}`);
console.log(
  `\n${table(
    ['publishing', 'changes/s'],
    [
      ['outbox relay (read, send, mark sent)', relayRate.toFixed(0)],
      ['bare kafkajs producer, same records', bareRate.toFixed(0)],
      ['ratio relay / bare', `${(relayRate / bareRate).toFixed(2)}×`],
    ],
  )}`,
);
