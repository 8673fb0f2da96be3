/**
 * End to end on the local platform that `make dev` runs (its own Kafka, Elasticsearch, PostgreSQL
 * and API server, so nothing here disturbs the suites that share the run's servers): an event
 * written to the catalog is searchable, updates and deletes follow, and scaling by lag happens
 * as "load → scale up → drain → scale down", observed in Kafka and the API server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, sampleEvent } from '../../scripts/local/load-generator.ts';
import { indexerDeployment, type LocalPlatform, namespace, startLocalPlatform } from '../../scripts/local/platform.ts';
import { describeTimeline, ScalingObserver, scalingTimeline } from '../../scripts/local/scaling-observer.ts';
import { converged, describeComparison, waitForConvergence } from './convergence.ts';

let platform: LocalPlatform;
const lagThreshold = 300;

beforeAll(async () => {
  platform = await startLocalPlatform({
    logDir: mkdtempSync(join(tmpdir(), 'eventide-e2e-')),
    // Half of what the load writes even when a busy machine slows it to ~100 writes/s, so lag builds.
    env: { [indexerDeployment]: { MAX_DOCS_PER_SECOND: '50' } },
    // Shorter than the chart's windows so the whole timeline fits in a test.
    consumerGroup: { lagThreshold, pollIntervalSeconds: 2, scaleDownStabilizationSeconds: 10 },
    backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 },
  });
  console.log(`[e2e] platform up in ${platform.startupSeconds.toFixed(1)} s`);
}, 300_000);
afterAll(async () => platform?.stop(), 120_000);

const json = { 'content-type': 'application/json' };
interface SearchResult {
  total: number;
  hits: { id: string; version: number; name: string; capacity: number }[];
}
const search = async (q: string): Promise<SearchResult> =>
  (await (await fetch(`${platform.searchApi.url}/api/v1/search/events?q=${encodeURIComponent(q)}`)).json()) as SearchResult;

/** Polls search until `check` holds; returns what search showed then. */
async function searchUntil(q: string, check: (r: SearchResult) => boolean, timeoutMs = 20_000): Promise<SearchResult> {
  const deadline = Date.now() + timeoutMs;
  let last: SearchResult | undefined;
  while (Date.now() < deadline) {
    last = await search(q).catch(() => undefined);
    if (last && check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`search for ${q} did not show the expected result within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

describe('an event through the platform', () => {
  const token = `e2e${Date.now().toString(36)}`;
  let id: string;

  it('create → searchable', async () => {
    const response = await fetch(`${platform.catalog.url}/api/v1/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...sampleEvent(), name: `Harbour ${token} night` }),
    });
    expect(response.status).toBe(201);
    id = ((await response.json()) as { id: string }).id;
    const found = await searchUntil(token, (r) => r.hits.some((h) => h.id === id));
    expect(found.hits.find((h) => h.id === id)).toMatchObject({ id, version: 1, name: `Harbour ${token} night` });
  });

  it('update → search shows the new version', async () => {
    const response = await fetch(`${platform.catalog.url}/api/v1/events/${id}`, {
      method: 'PATCH',
      headers: { ...json, 'if-match': '"1"' },
      body: JSON.stringify({ capacity: 4242 }),
    });
    expect(response.status).toBe(200);
    const found = await searchUntil(token, (r) => r.hits.some((h) => h.id === id && h.version === 2));
    expect(found.hits.find((h) => h.id === id)).toMatchObject({ version: 2, capacity: 4242 });
  });

  it('delete → gone from search', async () => {
    const response = await fetch(`${platform.catalog.url}/api/v1/events/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    const found = await searchUntil(token, (r) => !r.hits.some((h) => h.id === id));
    expect(found.total).toBe(0);
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
    let processes = 0;
    const counting = setInterval(() => {
      processes = Math.max(processes, platform.agent.pods(indexerDeployment).filter((p) => p.ready && p.pid !== undefined).length);
    }, 250);
    // 200/s against one replica capped at 50 docs/s: lag grows by ~150/s until the operator scales.
    const load = await runLoad({ catalogUrl: platform.catalog.url, rate: 200, durationSeconds: 25 });
    expect(load.errors).toBe(0);
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
    // The Deployment's status comes from the node agent's Pods: it really ran the replicas the operator asked for.
    expect(Math.max(...observer.samples.map((s) => s.ready ?? 0))).toBe(t.peakReplicas);
    expect(processes).toBe(t.peakReplicas);
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
