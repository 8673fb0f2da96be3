// @needs kafka
/**
 * Bounded waits (#28): PostgreSQL paused for 20 s — every process of the server SIGSTOPped, as a
 * frozen host — under 60 writes/s and 10 reads/s to the catalog as its main starts it. Every
 * request answers within the bound (503 problem+json with Retry-After while paused), /readyz is
 * 503 during the pause and answers within its own bound, writes succeed again after SIGCONT, and
 * nothing is lost: each write answered 201 is in PostgreSQL and on catalog.events, and each 503
 * retried with its Idempotency-Key ends as exactly one event.
 *
 * The pause uses a PostgreSQL of its own (devkit's startPostgres), never the run's shared server,
 * so no other suite is frozen; it is always resumed in `finally`.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type ServerType, serve } from '@hono/node-server';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type PostgresServer, startPostgres } from '../../devkit/postgres.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { type Publisher, startPublisher } from '../../lib/publisher.ts';
import { catalogApi } from './api.ts';
import { catalogConfig } from './config.ts';
import { changeTopic } from './events.ts';
import { migrate } from './migrations.ts';
import { exampleEvent } from './openapi.ts';
import { EventStore } from './store.ts';
import { sampleEvent } from './testing/fixtures.ts';

const log = pino({ level: 'silent' });
const brokers = inject('kafkaBrokers').split(',');
const pauseMs = 20_000;

/** The pids whose parent is `pid` (from /proc): a postmaster's backends and workers. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/** Freezes the whole server: the postmaster first (no new backends), then every process it started. */
function freeze(postmaster: number): number[] {
  process.kill(postmaster, 'SIGSTOP');
  const frozen = new Set<number>([postmaster]);
  for (let round = 0; round < 2; round++)
    for (const pid of childrenOf(postmaster)) {
      if (frozen.has(pid)) continue;
      process.kill(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  return [...frozen];
}

function thaw(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Gone: nothing to resume.
    }
  }
}

interface Call {
  kind: 'write' | 'read' | 'ready';
  start: number;
  end: number;
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  key?: string;
  id?: string;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

// A server from EVENTIDE_DATABASE_URL is not ours to freeze (nor, perhaps, on this host).
describe.skipIf(process.env.EVENTIDE_DATABASE_URL)('the catalog while PostgreSQL is paused', () => {
  let postgres: PostgresServer;
  let issuer: TokenIssuer;
  let publisher: Publisher;
  let server: ServerType;
  let base: string;
  let organizer: { authorization: string };
  let timeoutMs: number;

  beforeAll(async () => {
    postgres = await startPostgres();
    issuer = await startTokenIssuer();
    organizer = await issuer.bearer(principals.organizer(exampleEvent.organizerId));
    // As the main validates its environment: PG_TIMEOUT_MS and the rest at their defaults.
    const config = loadConfig('catalog', catalogConfig, {
      DATABASE_URL: postgres.url,
      KAFKA_BROKERS: brokers.join(','),
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    });
    timeoutMs = config.PG_TIMEOUT_MS;
    const admin = kafkaClient({ clientId: 'pause-test', brokers }).admin();
    await admin.connect();
    if (!(await admin.listTopics()).includes(changeTopic))
      await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    publisher = startPublisher({ name: 'catalog', config, log, setup: migrate, lockKey: `pause-test-${randomUUID()}` });
    expect(await publisher.setUp).toBe(true);
    const app = catalogApi({
      store: new EventStore(publisher.pool),
      verify: remoteJwtVerifier(issuer.jwksUrl),
      registry: publisher.registry,
      health: publisher.health,
      log,
    });
    await new Promise<void>((listening) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        listening();
      });
    });
  }, 120_000);

  afterAll(async () => {
    await new Promise<void>((closed) => (server ? server.close(() => closed()) : closed()));
    await publisher?.stop();
    await issuer?.stop();
    await postgres?.dispose();
  });

  it('answers every request within the bound (503 + Retry-After while paused), is not ready, and loses nothing', async () => {
    const postmaster = Number(
      readFileSync(`${(await queryOnce(postgres.url, 'SHOW data_directory')).data_directory}/postmaster.pid`, 'utf8').split('\n')[0],
    );
    const calls: Call[] = [];
    const inFlight = new Set<Promise<void>>();
    const call = (kind: Call['kind'], path: string, init: RequestInit = {}, key?: string) => {
      const start = performance.now();
      const done = fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(60_000) })
        .then(async (response) => {
          const body = await response.text();
          calls.push({
            kind,
            start,
            end: performance.now(),
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            contentType: response.headers.get('content-type'),
            key,
            id: response.status === 201 ? (JSON.parse(body) as { id: string }).id : undefined,
          });
        })
        .catch(() => void calls.push({ kind, start, end: performance.now(), status: 0, retryAfter: null, contentType: null, key }));
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    };
    const write = (key: string) =>
      call(
        'write',
        '/api/v1/events',
        {
          method: 'POST',
          headers: { ...organizer, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(sampleEvent({ name: `pause ${key}` })),
        },
        key,
      );

    // 60 writes/s (3 every 50 ms), 10 reads/s, /readyz 4 times a second.
    let tick = 0;
    const load = setInterval(() => {
      for (let i = 0; i < 3; i++) write(randomUUID());
      if (tick % 2 === 0) call('read', '/api/v1/events?limit=5');
      if (tick % 5 === 0) call('ready', '/readyz');
      tick++;
    }, 50);
    let frozen: number[] = [];
    let pausedAt = 0;
    let resumedAt = 0;
    try {
      await sleep(3_000);
      pausedAt = performance.now();
      frozen = freeze(postmaster);
      await sleep(pauseMs);
    } finally {
      thaw(frozen);
      resumedAt = performance.now();
    }
    await sleep(10_000);
    clearInterval(load);
    await Promise.all(inFlight);

    const bound = 2 * timeoutMs + 1_500;
    const latency = (c: Call) => c.end - c.start;
    const duringPause = calls.filter((c) => c.start >= pausedAt && c.end <= resumedAt);
    const touchedPause = calls.filter((c) => c.end >= pausedAt && c.start <= resumedAt);
    const requests = calls.filter((c) => c.kind !== 'ready');
    const ready = calls.filter((c) => c.kind === 'ready');
    const firstWriteAfter = Math.min(
      ...calls.filter((c) => c.kind === 'write' && c.status === 201 && c.start >= resumedAt).map((c) => c.end),
    );
    const readyAgain = Math.min(...ready.filter((c) => c.status === 200 && c.start >= resumedAt).map((c) => c.end));
    const pausedLatencies = touchedPause.filter((c) => c.kind !== 'ready').map(latency);
    console.log(
      JSON.stringify({
        requests: requests.length,
        byStatus: Object.fromEntries([...Map.groupBy(requests, (c) => c.status)].map(([s, list]) => [s, list.length])),
        duringPause: {
          requests: touchedPause.filter((c) => c.kind !== 'ready').length,
          p50: Math.round(percentile(pausedLatencies, 50)),
          p99: Math.round(percentile(pausedLatencies, 99)),
          max: Math.round(Math.max(...pausedLatencies)),
          readyzMax: Math.round(Math.max(...ready.filter((c) => c.end >= pausedAt && c.start <= resumedAt).map(latency))),
        },
        maxLatencyOverall: Math.round(Math.max(...calls.map(latency))),
        firstWrite201AfterResumeMs: Math.round(firstWriteAfter - resumedAt),
        readyAgainAfterResumeMs: Math.round(readyAgain - resumedAt),
        boundMs: bound,
      }),
    );

    // Within the bound, every one; a 5xx is a 503 problem with Retry-After, nothing else (no 500, no hang).
    for (const c of calls) expect(latency(c), `${c.kind} at ${Math.round(c.start - pausedAt)} ms of the pause`).toBeLessThanOrEqual(bound);
    for (const c of requests) {
      expect([200, 201, 503]).toContain(c.status);
      if (c.status === 503) {
        expect(c.retryAfter).toMatch(/^\d+$/);
        expect(c.contentType).toBe('application/problem+json');
      }
    }
    // Nothing succeeds while every process of the server is stopped: each request wholly inside the pause was a 503.
    expect(duringPause.filter((c) => c.kind !== 'ready').length).toBeGreaterThan(500);
    for (const c of duringPause.filter((c) => c.kind !== 'ready')) expect(c.status).toBe(503);
    // Not ready once the probe's bound (1 s) has passed, for the rest of the pause; ready again after.
    const probeBound = Math.min(timeoutMs, 1_000) + 500;
    const readyInPause = ready.filter((c) => c.start >= pausedAt + probeBound && c.end <= resumedAt);
    expect(readyInPause.length).toBeGreaterThan(40);
    for (const c of readyInPause) expect(c.status).toBe(503);
    expect(readyAgain - resumedAt).toBeLessThan(5_000);
    expect(firstWriteAfter - resumedAt).toBeLessThan(5_000);

    // Every 503'd write retried with its key: the first answer if it committed after all, else created now.
    const created = new Map(calls.filter((c) => c.status === 201 && c.key).map((c) => [c.key as string, c.id as string]));
    for (const c of calls.filter((c) => c.kind === 'write' && c.status !== 201)) {
      const key = c.key as string;
      const response = await fetch(`${base}/api/v1/events`, {
        method: 'POST',
        headers: { ...organizer, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(sampleEvent({ name: `pause ${key}` })),
      });
      expect(response.status).toBe(201);
      created.set(key, ((await response.json()) as { id: string }).id);
    }
    const writes = calls.filter((c) => c.kind === 'write');
    expect(created.size).toBe(writes.length);
    // Exactly one event per write, in PostgreSQL…
    const { n } = await queryOnce(postgres.url, 'SELECT count(*)::int AS n FROM events');
    expect(n).toBe(writes.length);
    // …and on catalog.events.
    const ids = new Set(created.values());
    const seen = await readKeys(ids, 60_000);
    expect([...ids].filter((id) => !seen.has(id))).toEqual([]);
  }, 180_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function queryOnce(url: string, sql: string): Promise<Record<string, never>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    await client.end();
  }
}

/** Reads catalog.events from the start until every id has been seen as a key (or the time is up). */
async function readKeys(ids: Set<string>, timeoutMs: number): Promise<Set<string>> {
  const consumer = kafkaClient({ clientId: 'pause-test-reader', brokers }).consumer({ groupId: `pause-reader-${randomUUID()}` });
  const seen = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic: changeTopic, fromBeginning: true });
  await new Promise<void>((done) => {
    const timer = setTimeout(done, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString();
        if (key && ids.has(key)) seen.add(key);
        if (seen.size === ids.size) {
          clearTimeout(timer);
          done();
        }
      },
    });
  });
  await consumer.disconnect();
  return seen;
}
