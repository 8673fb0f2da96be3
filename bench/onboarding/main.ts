/**
 * Onboarding throughput and latency on real PostgreSQL and Kafka, beside the original design on
 * the same servers in the same run:
 *
 * - event-driven (Eventide): POST /api/v1/teachers commits the teacher and its outbox row and
 *   answers; the relay publishes to teachers.events; identity consumes, creates the user and the
 *   token (inbox, outbox). Latency: from the POST until the user row exists (its created_at).
 * - original: the teachers service calls identity over HTTP before it answers (the same domain
 *   code on both sides, without Kafka). Latency: until the answer, when the user exists.
 *
 * Both get the bootstrap administrator's token (role platform-admin); Eventide's teachers verifies
 * it (a JWT, Ed25519) per request, the original predates authorization and ignores it.
 *
 * Throughput: teachers whose users exist, per second, from the first POST to the last user.
 * Rounds alternate the designs; the table shows the median round of each, and the ratio.
 *
 * Two loads: a fixed rate (what the latency means under a normal day) and saturation (the most
 * each design does on these cores).
 *
 *   BENCH_TEACHERS (default 1000 per round), BENCH_RATE (default 100/s), BENCH_CONCURRENCY (default 16
 *   at saturation), BENCH_ROUNDS (default 3)
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { median, percentile, table } from '../../devkit/stats.ts';
import { loadConfig } from '../../lib/config.ts';
import { deadLetterTopic } from '../../lib/consumer/dead-letter.ts';
import { createLogger } from '../../lib/log.ts';
import { createPool, inTransaction } from '../../lib/pg.ts';
import { Accounts } from '../../services/identity/accounts.ts';
import { identityConfig } from '../../services/identity/config.ts';
import { identityTopic } from '../../services/identity/events.ts';
import { migrate as migrateIdentity } from '../../services/identity/migrations.ts';
import { startIdentity } from '../../services/identity/service.ts';
import { teachersConfig } from '../../services/teachers/config.ts';
import { teachersTopic } from '../../services/teachers/events.ts';
import { migrate as migrateTeachers } from '../../services/teachers/migrations.ts';
import { teacherInput } from '../../services/teachers/schema.ts';
import { startTeachers } from '../../services/teachers/service.ts';
import { TeacherStore } from '../../services/teachers/store.ts';

const teachersPerRound = Number(process.env.BENCH_TEACHERS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const rate = Number(process.env.BENCH_RATE ?? 100);
type Load = 'saturation' | number;
const tenants = 'school-a,school-b';
const adminUser = { tenantId: 'platform', email: 'bench@eventide.example', password: 'bench-admin-password' };

const postgres = await startPostgres();
const kafka = await startKafka();
const admin = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({
  topics: [
    ...[teachersTopic, identityTopic].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
    { topic: deadLetterTopic('identity'), numPartitions: 1, replicationFactor: 1 },
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
const quiet = (name: string) => createLogger(name, 'warn');
const exit = (_code: number, reason: string) => {
  throw new Error(reason);
};

// Eventide's design: both services as their mains start them.
const identityDb = await databaseUrl('identity');
const identityPort = await freePort();
const identity = await startIdentity({
  config: loadConfig('identity', identityConfig, {
    KAFKA_BROKERS: kafka.endpoint,
    DATABASE_URL: identityDb,
    PORT: String(identityPort),
    TENANTS: tenants,
    BOOTSTRAP_ADMIN_EMAIL: adminUser.email,
    BOOTSTRAP_ADMIN_PASSWORD: adminUser.password,
    // The kind profile's way: the benchmark reads tokens off identity.events as the deliverer would.
    ACTIVATION_TOKEN_IN_CLEAR: 'true',
  }),
  log: quiet('identity'),
  exit,
});
const teachers = await startTeachers({
  config: loadConfig('teachers', teachersConfig, {
    KAFKA_BROKERS: kafka.endpoint,
    DATABASE_URL: await databaseUrl('teachers'),
    PORT: String(await freePort()),
    TENANTS: tenants,
    IDENTITY_JWKS_URL: `http://127.0.0.1:${identityPort}/.well-known/jwks.json`,
  }),
  log: quiet('teachers'),
  exit,
});
/** The bootstrap administrator's token (platform-admin), once identity has created them. */
async function logIn(): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await identity.app.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(adminUser),
    });
    if (response.ok) return ((await response.json()) as { accessToken: string }).accessToken;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the bootstrap administrator could not log in');
}
let adminToken = await logIn();
const identityPool = createPool({ url: identityDb, log: quiet('bench'), max: 4 });

// The original design: teachers writes, then calls identity over HTTP, then answers.
const baselineIdentityPool = createPool({ url: await databaseUrl('baseline_identity'), log: quiet('bench'), max: 20 });
await migrateIdentity(baselineIdentityPool);
const accounts = new Accounts({ tenants: new Set(tenants.split(',')), tokenTtlMs: 72 * 3600_000 });
const baselineIdentity = new Hono().post('/internal/users', async (c) => {
  const teacher = (await c.req.json()) as { id: string; tenantId: string; version: number; email: string; phoneNumber: string };
  await inTransaction(baselineIdentityPool, (tx) =>
    accounts.apply(tx, {
      kind: 'created',
      teacherId: teacher.id,
      tenantId: teacher.tenantId,
      version: teacher.version,
      email: teacher.email,
      phoneNumber: teacher.phoneNumber,
    }),
  );
  return c.body(null, 201);
});
const baselineIdentityPort = await freePort();
const baselineIdentityServer = serve({ fetch: baselineIdentity.fetch, port: baselineIdentityPort, hostname: '127.0.0.1' });
const baselineTeachersPool = createPool({ url: await databaseUrl('baseline_teachers'), log: quiet('bench'), max: 20 });
await migrateTeachers(baselineTeachersPool);
const baselineStore = new TeacherStore(baselineTeachersPool);
const baselineTeachers = new Hono().post('/api/v1/teachers', async (c) => {
  const created = await baselineStore.create(teacherInput.parse(await c.req.json()));
  const answer = await fetch(`http://127.0.0.1:${baselineIdentityPort}/internal/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(created),
  });
  if (answer.status !== 201) return c.json({ error: `identity answered ${answer.status}` }, 502);
  return c.json(created, 201);
});

interface Round {
  load: string;
  design: string;
  perSecond: number;
  p50: number;
  p99: number;
  answerP50: number;
}

/** Creates the round's teachers, `concurrency` at a time or at a fixed rate; returns each one's POST start and answer time. */
async function createTeachers(request: (body: unknown) => Response | Promise<Response>, round: number, load: Load) {
  const starts = new Map<string, number>();
  const answers: number[] = [];
  let next = 0;
  const one = async (i: number) => {
    const body = {
      tenantId: i % 2 ? 'school-a' : 'school-b',
      fullName: `Teacher ${round}.${i}`,
      email: `t${round}.${i}.${randomUUID().slice(0, 6)}@school.example`,
      phoneNumber: `+4917${String(round * teachersPerRound + i).padStart(9, '0')}`,
    };
    const started = Date.now();
    const response = await request(body);
    if (response.status !== 201) throw new Error(`POST /api/v1/teachers answered ${response.status}: ${await response.text()}`);
    answers.push(Date.now() - started);
    starts.set(((await response.json()) as { id: string }).id, started);
  };
  const worker = async () => {
    while (next < teachersPerRound) await one(next++);
  };
  const first = Date.now();
  if (load === 'saturation') await Promise.all(Array.from({ length: concurrency }, worker));
  else {
    const sent: Promise<void>[] = [];
    for (let i = 0; i < teachersPerRound; i++) {
      sent.push(one(i));
      await new Promise((r) => setTimeout(r, Math.max(0, first + ((i + 1) * 1000) / load - Date.now())));
    }
    await Promise.all(sent);
  }
  return { starts, answers, first };
}

async function eventDriven(round: number, load: Load): Promise<Round> {
  // A token per round: tokens live 15 minutes, and a large BENCH_TEACHERS outlives one.
  adminToken = await logIn();
  const { starts, answers, first } = await createTeachers(
    (body) =>
      teachers.app.request('/api/v1/teachers', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(body),
      }),
    round,
    load,
  );
  const ids = [...starts.keys()];
  const deadline = Date.now() + 300_000;
  let rows: { entity_id: string; created_at: Date }[] = [];
  while (Date.now() < deadline) {
    rows = (
      await identityPool.query("SELECT entity_id, created_at FROM users WHERE entity_type = 'teacher' AND entity_id = ANY($1)", [ids])
    ).rows;
    if (rows.length === ids.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (rows.length !== ids.length) throw new Error(`only ${rows.length} of ${ids.length} users exist after 300 s`);
  const latencies = rows.map((r) => r.created_at.getTime() - (starts.get(r.entity_id) ?? 0));
  const last = Math.max(...rows.map((r) => r.created_at.getTime()));
  return {
    load: loadName(load),
    design: 'event-driven (outbox → Kafka → identity)',
    perSecond: ids.length / ((last - first) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    answerP50: percentile(answers, 50),
  };
}

async function original(round: number, load: Load): Promise<Round> {
  const { answers, first } = await createTeachers(
    (body) =>
      baselineTeachers.request('/api/v1/teachers', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(body),
      }),
    round,
    load,
  );
  return {
    load: loadName(load),
    design: 'original (teachers calls identity over HTTP)',
    perSecond: teachersPerRound / ((Date.now() - first) / 1000),
    p50: percentile(answers, 50),
    p99: percentile(answers, 99),
    answerP50: percentile(answers, 50),
  };
}

const loadName = (load: Load) => (load === 'saturation' ? `saturation (${concurrency} clients)` : `fixed ${load}/s`);
const results: Round[] = [];
try {
  let round = 0;
  for (const load of [rate, 'saturation'] as const)
    for (let r = 0; r < rounds; r++, round++) {
      for (const run of r % 2 ? [original, eventDriven] : [eventDriven, original]) {
        const result = await run(round, load);
        results.push(result);
        console.log(
          `${result.load} round ${r + 1}: ${result.design}: ${result.perSecond.toFixed(0)} teachers/s, p50 ${result.p50} ms, p99 ${result.p99} ms`,
        );
      }
    }
  const keys = [...new Set(results.map((r) => `${r.load}\t${r.design}`))];
  const summary = keys.map((key) => {
    const [load = '', design = ''] = key.split('\t');
    const runs = results.filter((r) => r.load === load && r.design === design);
    return {
      load,
      design,
      perSecond: median(runs.map((r) => r.perSecond)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      answerP50: median(runs.map((r) => r.answerP50)),
    };
  });
  const baseline = (load: string) => summary.find((s) => s.load === load && s.design.startsWith('original'));
  console.log(
    `\n${teachersPerRound} teachers per round, ${rounds} rounds of each load and design (medians of the rounds)\n${table(
      ['load', 'design', 'teachers/s until users exist', 'user exists p50', 'p99', 'HTTP answer p50', 'throughput vs original'],
      summary.map((s) => [
        s.load,
        s.design,
        s.perSecond.toFixed(0),
        `${s.p50} ms`,
        `${s.p99} ms`,
        `${s.answerP50} ms`,
        `${(s.perSecond / (baseline(s.load)?.perSecond ?? Number.NaN)).toFixed(2)}×`,
      ]),
    )}`,
  );
} finally {
  await Promise.allSettled([teachers.stop(), identity.stop()]);
  baselineIdentityServer.close();
  await Promise.allSettled([identityPool.end(), baselineIdentityPool.end(), baselineTeachersPool.end(), admin.disconnect()]);
  await Promise.allSettled([kafka.stop(), postgres.stop()]);
}
