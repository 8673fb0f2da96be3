/**
 * End to end, API request → visible in search, for our pipeline (catalog → outbox → relay → Kafka →
 * indexer → Elasticsearch) and for the seeds' design (the catalog calls the search service over
 * HTTP and answers once it has indexed), on the same servers in the same run, in alternating
 * rounds: at a fixed rate and at saturation. Creates only, so "visible" is unambiguous.
 *
 * Visibility is what a search sees: a tracker asks Elasticsearch every 50 ms, with _search (which
 * sees only refreshed documents, unlike a GET), for the ids acknowledged but not yet seen.
 *
 * Both designs get the same request, with the bootstrap administrator's token; ours verifies it
 * (a JWT, Ed25519) per request, the seed design predates authorization and ignores it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import pg from 'pg';
import { freePort } from '../../devkit/ports.ts';
import { median, percentile, table } from '../../devkit/stats.ts';
import { compareStores, indexedVersions } from '../../scripts/local/convergence.ts';
import { platformCallers, type TokenSource } from '../../scripts/local/credentials.ts';
import { startLocalPlatform, startService } from '../../scripts/local/platform.ts';
import { freshDatabase } from '../../services/catalog/testing/fixtures.ts';
import { alias } from '../../services/search/index-definition.ts';
import { create, type Sample, VisibilityTracker } from '../lib/visibility.ts';

const rounds = Number(process.env.ROUNDS ?? 3);
const seconds = Number(process.env.DURATION ?? 15);
const fixedRate = Number(process.env.RATE ?? 100);
const concurrency = Number(process.env.CONCURRENCY ?? 32);

interface Run {
  design: 'pipeline' | 'seed';
  mode: 'fixed' | 'saturation' | 'outage';
  writesPerSecond: number;
  /** Events visible per second, first request to last visible. */
  visiblePerSecond: number;
  ackMs: number[];
  ackToVisibleMs: number[];
  sendToVisibleMs: number[];
  lost: number;
  errors: number;
}

async function measure(
  design: Run['design'],
  mode: Run['mode'],
  catalogUrl: string,
  es: Client,
  index: string,
  tokens: TokenSource,
  fault?: () => Promise<void>,
): Promise<Run> {
  // One token for the run, taken before it starts: a login mid-run would hold up the requests waiting for it.
  const token = await tokens();
  const samples: Sample[] = [];
  const faulting = fault ? sleep(5_000).then(fault) : Promise.resolve();
  const tracker = new VisibilityTracker(es, index);
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  if (mode !== 'saturation') {
    const inFlight = new Set<Promise<void>>();
    let issued = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - t0) / 1000) * fixedRate) - issued;
      for (let i = 0; i < due; i++, issued++) {
        const p: Promise<void> = create(catalogUrl, samples, tracker, token).then((ok) => {
          if (!ok) errors++;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await sleep(5);
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) if (!(await create(catalogUrl, samples, tracker, token))) errors++;
      }),
    );
  }
  const writesDone = performance.now();
  await faulting;
  await tracker.finish(mode === 'outage' ? 60_000 : 30_000);
  const acked = samples.filter((s) => s.acked !== undefined);
  const visible = acked.filter((s) => s.visible !== undefined) as Required<Sample>[];
  const lastVisible = Math.max(...visible.map((s) => s.visible));
  return {
    design,
    mode,
    writesPerSecond: acked.length / ((writesDone - t0) / 1000),
    visiblePerSecond: visible.length / ((lastVisible - t0) / 1000),
    ackMs: acked.map((s) => (s.acked as number) - s.sent),
    ackToVisibleMs: visible.map((s) => Math.max(0, s.visible - s.acked)),
    sendToVisibleMs: visible.map((s) => s.visible - s.sent),
    lost: acked.length - visible.length,
    errors,
  };
}

/** Rows of the seed's database that its index does not have: writes it stored but never indexed. */
async function seedUnsearchable(databaseUrl: string, es: Client): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM seed_events');
  await db.end();
  const indexed = await indexedVersions(es, 'seed-events');
  return rows.filter((r) => !indexed.has(r.id)).length;
}

console.log(`bench/pipeline: ${rounds} rounds × (fixed ${fixedRate}/s, saturation with ${concurrency} clients), ${seconds} s each`);
// The platform's own services only: the example consumer of catalog.events would share the cores.
const platform = await startLocalPlatform({ logDir: mkdtempSync(join(tmpdir(), 'eventide-bench-pipeline-')), examples: false });
const stops: (() => Promise<void>)[] = [() => platform.stop()];
try {
  const seedDb = await freshDatabase(platform.postgres.endpoint);
  const logDir = mkdtempSync(join(tmpdir(), 'eventide-seed-'));
  const seedSearch = await startService(
    'seed-search',
    'bench/pipeline/seed-search.ts',
    logDir,
    { ELASTICSEARCH_URL: platform.elasticsearch.endpoint },
    await freePort(),
  );
  stops.push(() => seedSearch.stop());
  const seedCatalog = await startService(
    'seed-catalog',
    'bench/pipeline/seed-catalog.ts',
    logDir,
    { DATABASE_URL: seedDb, SEARCH_URL: seedSearch.url },
    await freePort(),
  );
  stops.push(() => seedCatalog.stop());

  const es = new Client({ node: platform.elasticsearch.endpoint });
  // The bootstrap administrator's tokens, logged in again before one expires: the rounds outlive a token.
  const tokens = platformCallers(platform.kc, platform.identity.url).admin;
  const designs = [
    { design: 'pipeline' as const, url: platform.catalog.url, index: alias },
    { design: 'seed' as const, url: seedCatalog.url, index: 'seed-events' },
  ];
  // Warm both paths (JIT, connection pools, index creation) before anything is measured.
  for (const d of designs) for (const mode of ['fixed', 'saturation'] as const) await measure(d.design, mode, d.url, es, d.index, tokens);
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['fixed', 'saturation'] as const) {
      // Alternate which design goes first, so drift on a shared machine does not favour one.
      for (const d of round % 2 ? designs : [...designs].reverse()) {
        const r = await measure(d.design, mode, d.url, es, d.index, tokens);
        runs.push(r);
        console.log(
          `  round ${round} ${mode.padEnd(10)} ${d.design.padEnd(8)} writes ${r.writesPerSecond.toFixed(0)}/s, visible ${r.visiblePerSecond.toFixed(0)}/s, ack→visible p50 ${percentile(r.ackToVisibleMs, 50).toFixed(0)} ms, lost ${r.lost}, errors ${r.errors}`,
        );
      }
    }
  }
  // Elasticsearch killed 5 s into a fixed-rate run and restarted: what each design does with writes.
  const outage: string[][] = [];
  for (const d of designs) {
    const r = await measure(d.design, 'outage', d.url, es, d.index, tokens, async () => {
      await platform.elasticsearch.kill();
      await sleep(3_000);
      await platform.elasticsearch.start();
    });
    const unsearchable =
      d.design === 'pipeline'
        ? (
            await compareStores({
              databaseUrl: platform.databaseUrl,
              elasticsearchUrl: platform.elasticsearch.endpoint,
              brokers: platform.kafka.brokers,
            })
          ).missing.length
        : await seedUnsearchable(seedDb, es);
    outage.push([
      d.design === 'pipeline' ? 'ours: outbox → Kafka → indexer' : 'seed: sync HTTP to search',
      String(r.ackMs.length),
      String(r.errors),
      percentile(r.ackMs, 99).toFixed(0),
      String(r.lost),
      String(unsearchable),
    ]);
    console.log(`  outage ${d.design}: acked ${r.ackMs.length}, refused ${r.errors}, never searchable ${unsearchable}`);
  }
  await es.close();

  const rows: string[][] = [];
  const summary = new Map<string, Record<string, number>>();
  for (const mode of ['fixed', 'saturation'] as const) {
    for (const design of ['pipeline', 'seed'] as const) {
      const these = runs.filter((r) => r.mode === mode && r.design === design);
      const m = (f: (r: Run) => number) => median(these.map(f));
      const figures = {
        writes: m((r) => r.writesPerSecond),
        visible: m((r) => r.visiblePerSecond),
        ackP50: m((r) => percentile(r.ackMs, 50)),
        ackP99: m((r) => percentile(r.ackMs, 99)),
        p50: m((r) => percentile(r.sendToVisibleMs, 50)),
        p95: m((r) => percentile(r.sendToVisibleMs, 95)),
        p99: m((r) => percentile(r.sendToVisibleMs, 99)),
        avP50: m((r) => percentile(r.ackToVisibleMs, 50)),
        avP99: m((r) => percentile(r.ackToVisibleMs, 99)),
        lost: these.reduce((sum, r) => sum + r.lost, 0),
      };
      summary.set(`${mode}/${design}`, figures);
      rows.push([
        mode === 'fixed' ? `fixed ${fixedRate}/s` : `saturation (${concurrency} clients)`,
        design === 'pipeline' ? 'ours: outbox → Kafka → indexer' : 'seed: sync HTTP to search',
        figures.writes.toFixed(0),
        figures.visible.toFixed(0),
        `${figures.ackP50.toFixed(0)} / ${figures.ackP99.toFixed(0)}`,
        `${figures.p50.toFixed(0)} / ${figures.p95.toFixed(0)} / ${figures.p99.toFixed(0)}`,
        `${figures.avP50.toFixed(0)} / ${figures.avP99.toFixed(0)}`,
        String(figures.lost),
      ]);
    }
  }
  console.log(`\nmedians of ${rounds} rounds (latencies in ms; request → visible is what a user waits for):`);
  console.log(
    table(
      [
        'load',
        'design',
        'acked/s',
        'visible/s',
        'ack p50 / p99',
        'request → visible p50 / p95 / p99',
        'ack → visible p50 / p99',
        'not visible',
      ],
      rows,
    ),
  );
  const ratio = (mode: string, key: string) =>
    ((summary.get(`${mode}/pipeline`)?.[key] ?? 0) / (summary.get(`${mode}/seed`)?.[key] ?? 1)).toFixed(2);
  console.log(`
\nElasticsearch killed 5 s into ${seconds} s at ${fixedRate}/s and restarted (about 15 s without search):
${table(['design', 'writes acked', 'writes refused', 'ack p99 ms', 'acked, not searchable within 60 s', 'in the database, never searchable'], outage)}

ratios, ours ÷ seed:
  saturation: visible/s ${ratio('saturation', 'visible')}×, acked/s ${ratio('saturation', 'writes')}×, request → visible p99 ${ratio('saturation', 'p99')}×
  fixed ${fixedRate}/s: request → visible p50 ${ratio('fixed', 'p50')}×, p99 ${ratio('fixed', 'p99')}×; ack p99 ${ratio('fixed', 'ackP99')}×`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
