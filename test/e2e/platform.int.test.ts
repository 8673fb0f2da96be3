/**
 * End to end on the local platform that `make dev` runs (its own Kafka, Elasticsearch, PostgreSQL
 * and API server, so nothing here disturbs the suites that share the run's servers): an event
 * written to the catalog is searchable, updates and deletes follow, and scaling by lag happens
 * as "load → scale up → drain → scale down", observed in Kafka and the API server.
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converged, describeComparison, waitForConvergence } from '../../scripts/local/convergence.ts';
import { clientCredentialsToken, createMerchantClient, platformCallers, type TokenSource } from '../../scripts/local/credentials.ts';
import { runLoad, sampleEvent } from '../../scripts/local/load-generator.ts';
import { indexerDeployment, type LocalPlatform, namespace, startLocalPlatform } from '../../scripts/local/platform.ts';
import { describeTimeline, ScalingObserver, scalingTimeline } from '../../scripts/local/scaling-observer.ts';

let platform: LocalPlatform;
let callers: { admin: TokenSource; provider: TokenSource };
const lagThreshold = 300;

beforeAll(async () => {
  platform = await startLocalPlatform({
    logDir: mkdtempSync(join(tmpdir(), 'eventide-e2e-')),
    // Half of what the load writes even when a busy machine slows it to ~100 writes/s, so lag builds.
    env: { [indexerDeployment]: { MAX_RECORDS_PER_SECOND: '50' } },
    // Shorter than the chart's windows so the whole timeline fits in a test.
    consumerGroup: { lagThreshold, pollIntervalSeconds: 2, scaleDownStabilizationSeconds: 10 },
    backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
  });
  console.log(`[e2e] platform up in ${platform.startupSeconds.toFixed(1)} s`);
  callers = platformCallers(platform.kc, platform.identity.url);
}, 300_000);
afterAll(async () => platform?.stop(), 120_000);

const json = { 'content-type': 'application/json' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** A machine client of identity, created by the platform administrator, and a token of it from POST /oauth/token. */
async function clientToken(body: Record<string, unknown>): Promise<string> {
  const created = await fetch(`${platform.identity.url}/api/v1/clients`, {
    method: 'POST',
    headers: { ...json, ...bearer(await callers.admin()) },
    body: JSON.stringify({ name: `e2e ${body.role}`, ...body }),
  });
  expect(created.status).toBe(201);
  return clientCredentialsToken(platform.identity.url, (await created.json()) as { clientId: string; clientSecret: string });
}
interface SearchResult {
  total: number;
  hits: { id: string; version: number; name: string; capacity: number }[];
}
const search = async (q: string): Promise<SearchResult> =>
  (await (await fetch(`${platform.searchApi.url}/api/v1/search/events?q=${encodeURIComponent(q)}`)).json()) as SearchResult;

/** Polls until `read` gives what `check` accepts; returns that. */
async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not show the expected result within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Polls search until `check` holds; returns what search showed then. */
const searchUntil = (q: string, check: (r: SearchResult) => boolean, timeoutMs = 20_000) =>
  until(`search for ${q}`, () => search(q), check, timeoutMs);

describe('an event through the platform', () => {
  const token = `e2e${Date.now().toString(36)}`;
  const organizerId = randomUUID();
  /** The organizer's backend: a machine client identity issued, writing its own events. */
  let organizer: Record<string, string>;
  let id: string;
  /** The example service (services/category-counts), deployed by the kind profile beside the platform's own. */
  let counts: { url: string };
  const category = `e2e-${token}`;
  const counted = async () => {
    const response = await fetch(`${counts.url}/api/v1/category-counts/${category}`);
    return response.status === 404 ? 0 : ((await response.json()) as { events: number }).events;
  };

  it('create → searchable', async () => {
    organizer = bearer(await clientToken({ role: 'organizer', organizerId }));
    const response = await fetch(`${platform.catalog.url}/api/v1/events`, {
      method: 'POST',
      headers: { ...json, ...organizer },
      body: JSON.stringify({ ...sampleEvent(), organizerId, name: `Harbour ${token} night`, category }),
    });
    expect(response.status).toBe(201);
    id = ((await response.json()) as { id: string }).id;
    const found = await searchUntil(token, (r) => r.hits.some((h) => h.id === id));
    expect(found.hits.find((h) => h.id === id)).toMatchObject({ id, version: 1, name: `Harbour ${token} night` });
  });

  it('create → counted by the example service, a consumer added through the registry alone', async () => {
    counts = await platform.expose('category-counts');
    expect(await until('category-counts', counted, (n) => n === 1)).toBe(1);
  });

  it('nobody else writes it: anonymous 401, another organizer 404', async () => {
    const other = bearer(await clientToken({ role: 'organizer', organizerId: randomUUID() }));
    const patch = (headers: Record<string, string>) =>
      fetch(`${platform.catalog.url}/api/v1/events/${id}`, { method: 'PATCH', headers: { ...json, ...headers }, body: '{"capacity":1}' });
    expect((await patch({})).status).toBe(401);
    expect((await patch(other)).status).toBe(404);
    expect((await fetch(`${platform.catalog.url}/api/v1/events/${id}`, { method: 'DELETE', headers: other })).status).toBe(404);
  });

  it('update → search shows the new version', async () => {
    const response = await fetch(`${platform.catalog.url}/api/v1/events/${id}`, {
      method: 'PATCH',
      headers: { ...json, ...organizer, 'if-match': '"1"' },
      body: JSON.stringify({ capacity: 4242 }),
    });
    expect(response.status).toBe(200);
    const found = await searchUntil(token, (r) => r.hits.some((h) => h.id === id && h.version === 2));
    expect(found.hits.find((h) => h.id === id)).toMatchObject({ version: 2, capacity: 4242 });
  });

  it('delete → gone from search', async () => {
    const response = await fetch(`${platform.catalog.url}/api/v1/events/${id}`, { method: 'DELETE', headers: organizer });
    expect(response.status).toBe(204);
    const found = await searchUntil(token, (r) => !r.hits.some((h) => h.id === id));
    expect(found.total).toBe(0);
    expect(await until('category-counts', counted, (n) => n === 0)).toBe(0);
  });
});

describe('who moves money on the platform', () => {
  it("merchants' backends, the provider and the administrator through identity's tokens: each reaches only what it may", async () => {
    const admin = bearer(await callers.admin());
    const post = (path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${platform.payments.url}/api/v1${path}`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': randomUUID(), ...headers },
        body: JSON.stringify(body),
      });
    const merchant = async (name: string) => {
      const created = await post('/merchants', { name, email: `${name.toLowerCase()}@shop.example`, currency: 'EUR' }, admin);
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const client = await createMerchantClient(platform.identity.url, await callers.admin(), id);
      return { id, headers: bearer(await clientCredentialsToken(platform.identity.url, client)) };
    };
    // Anonymous: nothing, not even creating a merchant.
    expect((await post('/merchants', { name: 'Anon', email: 'anon@shop.example', currency: 'EUR' }, {})).status).toBe(401);
    const [a, b] = [await merchant('Alpha'), await merchant('Beta')];
    const payment = await post(`/merchants/${a.id}/payments`, { amountMinor: 4_200, currency: 'EUR' }, a.headers);
    expect(payment.status).toBe(201);
    const paymentId = ((await payment.json()) as { id: string }).id;
    // The merchant cannot complete its own payment; another merchant cannot even see it.
    expect((await post(`/merchants/${a.id}/payments/${paymentId}/complete`, null, a.headers)).status).toBe(403);
    expect((await post(`/merchants/${a.id}/payments/${paymentId}/complete`, null, b.headers)).status).toBe(403);
    expect((await fetch(`${platform.payments.url}/api/v1/merchants/${a.id}/payments/${paymentId}`, { headers: b.headers })).status).toBe(
      404,
    );
    expect((await post(`/merchants/${a.id}/payments/${paymentId}/complete`, null, bearer(await callers.provider()))).status).toBe(200);
    const balance = (headers: Record<string, string>) => fetch(`${platform.ledger.url}/api/v1/merchants/${a.id}/balance`, { headers });
    const deadline = Date.now() + 30_000;
    let seen: unknown;
    while (Date.now() < deadline) {
      const response = await balance(a.headers);
      seen = response.status === 200 ? await response.json() : response.status;
      if ((seen as { availableMinor?: number }).availableMinor === 4_200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(seen).toMatchObject({ availableMinor: 4_200 });
    expect((await balance(b.headers)).status).toBe(404);
    expect((await balance({})).status).toBe(401);
    expect((await balance(admin)).status).toBe(200);
  });
});

describe('scaling by lag', () => {
  it('load → scale up → drain → scale down, seen in Kafka and the API server', { timeout: 240_000 }, async () => {
    const apps = platform.kc.makeApiClient(AppsV1Api);
    const observer = new ScalingObserver({
      brokers: platform.kafka.brokers,
      apps,
      namespace,
      deployment: indexerDeployment,
      groupId: 'search-indexer',
      topic: 'catalog.events',
      intervalMs: 500,
    });
    observer.start();
    // Every indexer Pod the agent started a process for, and the most that were Ready at once.
    const started = new Set<string>();
    let ready = 0;
    const counting = setInterval(() => {
      const pods = platform.agent.pods(indexerDeployment);
      for (const p of pods) if (p.pid !== undefined) started.add(p.name);
      ready = Math.max(ready, pods.filter((p) => p.ready && p.pid !== undefined).length);
    }, 250);
    // 200/s against one replica capped at 50 docs/s: lag grows by ~150/s until the operator scales.
    const load = await runLoad({ catalogUrl: platform.catalog.url, token: callers.admin, rate: 200, durationSeconds: 25 });
    expect(load.errors, JSON.stringify(load.errorKinds)).toBe(0);
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const s = observer.samples.at(-1);
      if (s && s.at > load.endedAt && s.replicas === 1 && s.lag === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await observer.stop();
    clearInterval(counting);
    const t = scalingTimeline(observer.samples, { start: load.startedAt, end: load.endedAt }, { lag: lagThreshold, drainedLag: 0 });
    console.log(
      `[e2e] ${load.sent} writes at 200/s for 25 s\n${describeTimeline(t)
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );

    expect(t.startReplicas).toBe(1);
    expect(t.lagRose).toBeGreaterThan(t.loadStart);
    expect(t.scaledUp).toBeGreaterThanOrEqual(t.lagRose as number);
    expect(t.peakReplicas).toBeGreaterThan(1);
    expect(t.drained).toBeGreaterThan(t.scaledUp as number);
    expect(t.scaledDown).toBeGreaterThan(t.loadEnd);
    // The node agent really ran the replicas the operator asked for: a process for each Pod, the
    // newest started only as the load ends on a busy machine, so not necessarily all Ready at once
    // (the operator may scale down first); and the Deployment's status comes from those Pods.
    expect(started.size).toBeGreaterThanOrEqual(t.peakReplicas);
    expect(ready).toBeGreaterThan(1);
    expect(Math.max(...observer.samples.map((s) => s.ready ?? 0))).toBeGreaterThan(1);
    // The operator said why, as Kubernetes Events on the ConsumerGroup.
    const events = await platform.kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace });
    const reasons = events.items.filter((e) => e.involvedObject.kind === 'ConsumerGroup').map((e) => e.reason);
    expect(reasons).toContain('ScaledUp');
    expect(reasons).toContain('ScaledDown');

    const { comparison } = await waitForConvergence(
      { databaseUrl: platform.databaseUrl, elasticsearchUrl: platform.elasticsearch.endpoint, brokers: platform.kafka.brokers },
      30_000,
    );
    console.log(`[e2e] after the load: ${describeComparison(comparison)}`);
    expect(converged(comparison), describeComparison(comparison)).toBe(true);
    expect(comparison.deadLettered).toBe(0);
  });
});
