/**
 * Onboarding throughput and latency, teachers created → their users exist in identity, for
 * Eventide's design beside the original, like for like:
 *
 * - eventide: services/teachers/main.ts commits the teacher and its outbox row and answers; its
 *   relay publishes to teachers.events; services/identity/main.ts consumes, creates the user and
 *   the token (inbox, outbox, its relay to identity.events). Latency: from the POST until the user
 *   row exists (its created_at), found by polling identity's database for the ids not seen yet
 *   (the polling counts under PostgreSQL and the driver, for this design only).
 * - original: bench/onboarding/original-teachers.ts inserts the teacher and calls
 *   original-identity.ts over HTTP (identity's own domain code) before it answers. Latency: until
 *   the answer, when the user exists.
 *
 * Each service is its own process, started with the same environment (no OTEL_* variables: neither
 * traces); the driver posts straight to each teachers service over HTTP, with the bootstrap
 * administrator's token (logged in at identity); Eventide's teachers verifies it (a JWT, Ed25519)
 * per request, the original predates authorization and ignores it. PostgreSQL runs with production
 * durability (fsync and synchronous_commit on).
 *
 * Throughput: teachers whose users exist, per second, from the first POST to the last user. Rounds
 * are interleaved and balanced (bench/lib/rounds.ts): figures are medians with their spread, and
 * eventide ÷ original; CPU per teacher by process (bench/lib/cpu.ts) is sampled around each run.
 *
 * Two loads: a fixed rate (what the latency means under a normal day) and saturation (the most
 * each design does on these cores).
 *
 *   BENCH_TEACHERS (default 1000 per run), BENCH_RATE (default 100/s), BENCH_CONCURRENCY (default 16
 *   at saturation), BENCH_ROUNDS (default 4, rounded up to even), BENCH_WARMUP (teachers per design
 *   at saturation before anything is measured, default 200)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { percentile } from '../../devkit/stats.ts';
import { deadLetterTopic } from '../../lib/consumer/dead-letter.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { login, tokenSource } from '../../scripts/local/credentials.ts';
import { startService } from '../../scripts/local/platform.ts';
import { identityTopic } from '../../services/identity/events.ts';
import { teachersTopic } from '../../services/teachers/events.ts';
import { compareDesigns, cpuFigures, type Figure, type WithCpu, withCpu } from '../lib/compare.ts';
import type { Processes } from '../lib/cpu.ts';
import { interleaved, roundOrder } from '../lib/rounds.ts';

const teachersPerRun = Number(process.env.BENCH_TEACHERS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const rate = Number(process.env.BENCH_RATE ?? 100);
const warmup = Number(process.env.BENCH_WARMUP ?? 200);
type Load = 'saturation' | number;
const tenants = 'school-a,school-b';
const adminUser = { tenantId: 'platform', email: 'bench@eventide.example', password: 'bench-admin-password' };

interface Run {
  /** Teachers whose users exist, per second, first POST to last user. */
  perSecond: number;
  users: number;
  /** POST → the user exists, ms. */
  latencies: number[];
  /** POST → answer, ms. */
  answers: number[];
}

interface Design {
  label: string;
  url: string;
  processes: Processes;
  /** Waits until every teacher's user exists; returns when each did (epoch ms) by teacher id, given when each POST was answered. */
  usersExist: (answered: ReadonlyMap<string, number>) => Promise<ReadonlyMap<string, number>>;
}

console.log(
  `bench/onboarding: ${roundOrder(['eventide', 'original'], rounds).length} rounds × (fixed ${rate}/s, saturation with ${concurrency} clients), ${teachersPerRun} teachers each; PostgreSQL durable, tracing off`,
);
const [postgres, kafka] = await Promise.all([startPostgres({ durable: true }), startKafka()]);
const admin = kafkaClient({ clientId: 'bench-onboarding', brokers: kafka.brokers }).admin();
const stops: (() => Promise<unknown>)[] = [() => Promise.allSettled([kafka, postgres].map((s) => s.dispose())), () => admin.disconnect()];
/** A database of its own for each service, as the chart gives them. */
const database = async (name: string) => {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return Object.assign(new URL(postgres.url), { pathname: `/${name}` }).toString();
};
/** Every teacher of the whole run gets its own phone number. */
let serial = 0;

/** Posts `count` teachers, `concurrency` at a time or at a fixed rate; when each one's POST started and was answered (epoch ms). */
async function createTeachers(url: string, token: string, count: number, load: Load) {
  const starts = new Map<string, number>();
  const answered = new Map<string, number>();
  const one = async () => {
    const n = serial++;
    const body = {
      tenantId: n % 2 ? 'school-a' : 'school-b',
      fullName: `Teacher ${n}`,
      email: `t${n}.${randomUUID().slice(0, 6)}@school.example`,
      phoneNumber: `+4917${String(n).padStart(9, '0')}`,
    };
    const started = Date.now();
    const response = await fetch(`${url}/api/v1/teachers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST /api/v1/teachers answered ${response.status}: ${await response.text()}`);
    const at = Date.now();
    const { id } = (await response.json()) as { id: string };
    starts.set(id, started);
    answered.set(id, at);
  };
  const first = Date.now();
  if (load === 'saturation') {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await one();
      }),
    );
  } else {
    const sent: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      sent.push(one());
      await sleep(Math.max(0, first + ((i + 1) * 1000) / load - Date.now()));
    }
    await Promise.all(sent);
  }
  return { starts, answered, first };
}

async function measure(design: Design, token: string, count: number, load: Load): Promise<Run> {
  const { starts, answered, first } = await createTeachers(design.url, token, count, load);
  const existed = await design.usersExist(answered);
  const since = (times: ReadonlyMap<string, number>) => [...times].map(([id, at]) => at - (starts.get(id) ?? at));
  return {
    perSecond: existed.size / ((Math.max(...existed.values()) - first) / 1000),
    users: existed.size,
    latencies: since(existed),
    answers: since(answered),
  };
}

try {
  await admin.connect();
  await admin.createTopics({
    topics: [
      ...[teachersTopic, identityTopic].map((topic) => ({ topic, numPartitions: 6, replicationFactor: 1 })),
      { topic: deadLetterTopic('identity'), numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const logDir = mkdtempSync(join(tmpdir(), 'eventide-bench-onboarding-'));
  const common = { LOG_LEVEL: 'warn', TENANTS: tenants };
  const identityDb = await database('identity');
  const identity = await startService(
    'identity',
    'services/identity/main.ts',
    logDir,
    {
      ...common,
      KAFKA_BROKERS: kafka.endpoint,
      DATABASE_URL: identityDb,
      BOOTSTRAP_ADMIN_EMAIL: adminUser.email,
      BOOTSTRAP_ADMIN_PASSWORD: adminUser.password,
      // The kind profile's way: activation tokens go out on identity.events in clear.
      ACTIVATION_TOKEN_IN_CLEAR: 'true',
    },
    await freePort(),
  );
  stops.push(() => identity.dispose());
  const teachers = await startService(
    'teachers',
    'services/teachers/main.ts',
    logDir,
    {
      ...common,
      KAFKA_BROKERS: kafka.endpoint,
      DATABASE_URL: await database('teachers'),
      IDENTITY_JWKS_URL: `${identity.url}/.well-known/jwks.json`,
    },
    await freePort(),
  );
  stops.push(() => teachers.dispose());
  const originalIdentity = await startService(
    'original-identity',
    'bench/onboarding/original-identity.ts',
    logDir,
    { ...common, DATABASE_URL: await database('original_identity') },
    await freePort(),
  );
  stops.push(() => originalIdentity.dispose());
  const originalTeachers = await startService(
    'original-teachers',
    'bench/onboarding/original-teachers.ts',
    logDir,
    { ...common, DATABASE_URL: await database('original_teachers'), IDENTITY_URL: originalIdentity.url },
    await freePort(),
  );
  stops.push(() => originalTeachers.dispose());

  const identityPool = new pg.Pool({ connectionString: identityDb, max: 1 });
  stops.push(() => identityPool.end());
  /** Eventide's users appear asynchronously: poll for the ids not seen yet, every 50 ms. */
  const usersAppear = async (answered: ReadonlyMap<string, number>) => {
    const existed = new Map<string, number>();
    const deadline = Date.now() + 300_000;
    let pending = [...answered.keys()];
    while (pending.length > 0 && Date.now() < deadline) {
      const { rows } = await identityPool.query<{ entity_id: string; created_at: Date }>(
        "SELECT entity_id, created_at FROM users WHERE entity_type = 'teacher' AND entity_id = ANY($1)",
        [pending],
      );
      for (const r of rows) existed.set(r.entity_id, r.created_at.getTime());
      pending = pending.filter((id) => !existed.has(id));
      if (pending.length > 0) await sleep(50);
    }
    if (pending.length > 0) throw new Error(`${pending.length} of ${answered.size} users do not exist after 300 s`);
    return existed;
  };
  const driver = { 'bench driver': () => process.pid };
  const designs = {
    eventide: {
      label: 'outbox → Kafka → identity',
      url: teachers.url,
      processes: {
        'teachers (+ relay)': teachers.pid,
        'identity (+ relay)': identity.pid,
        postgres: postgres.pid,
        kafka: kafka.pid,
        ...driver,
      },
      usersExist: usersAppear,
    },
    original: {
      label: 'teachers calls identity over HTTP',
      url: originalTeachers.url,
      processes: {
        'original-teachers': originalTeachers.pid,
        'original-identity': originalIdentity.pid,
        postgres: postgres.pid,
        ...driver,
      },
      // The original answers once the user exists: its answer is the time.
      usersExist: async (answered: ReadonlyMap<string, number>) => answered,
    },
  } satisfies Record<string, Design>;
  const names = Object.keys(designs) as (keyof typeof designs)[];

  // The bootstrap administrator's token, logged in again before it expires (the rounds outlive one).
  const adminToken = tokenSource(() => login(identity.url, adminUser));
  const token = async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await adminToken();
      } catch (error) {
        // identity creates the administrator once it is up; until then the login is refused.
        if (attempt >= 60) throw error;
        await sleep(1_000);
      }
    }
  };
  // Warm both paths (JIT, connection pools, the consumer's assignment) before anything is measured.
  for (const name of names) await measure(designs[name], await token(), warmup, 'saturation');

  const figures: Figure<Run & WithCpu>[] = [
    { name: 'teachers/s until users exist', of: (r) => r.perSecond },
    { name: 'user exists p50 ms', of: (r) => percentile(r.latencies, 50) },
    { name: 'user exists p99 ms', of: (r) => percentile(r.latencies, 99) },
    { name: 'HTTP answer p50 ms', of: (r) => percentile(r.answers, 50) },
    { name: 'HTTP answer p99 ms', of: (r) => percentile(r.answers, 99) },
  ];
  const reports: string[] = [];
  for (const load of [rate, 'saturation'] as const) {
    const loadName = load === 'saturation' ? `saturation (${concurrency} clients)` : `fixed ${load}/s`;
    const results = await interleaved(names, rounds, async (name, round) => {
      const t = await token();
      const r = await withCpu(
        designs[name].processes,
        () => measure(designs[name], t, teachersPerRun, load),
        (run) => run.users,
      );
      console.log(
        `  round ${round + 1} ${loadName} ${name.padEnd(8)} ${r.perSecond.toFixed(0)} teachers/s, user exists p50 ${percentile(r.latencies, 50)} ms, p99 ${percentile(r.latencies, 99)} ms, CPU ${r.cpu.total?.toFixed(2)} ms/teacher`,
      );
      return r;
    });
    reports.push(
      `${loadName}, ${teachersPerRun} teachers per run, medians (min–max) of ${results.get('eventide')?.length} rounds; eventide: ${designs.eventide.label}, original: ${designs.original.label}\n${compareDesigns(results, [...figures, ...cpuFigures(results, 'teacher')])}`,
    );
  }
  console.log(`\n${reports.join('\n\n')}`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
