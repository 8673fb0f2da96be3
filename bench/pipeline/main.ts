/**
 * End to end, API request → visible in search, for Eventide's pipeline (catalog → outbox → relay →
 * Kafka → search-indexer → Elasticsearch) and for the seeds' original design (the catalog calls the
 * search service over HTTP and answers once it has indexed), like for like:
 *
 * - the same servers, PostgreSQL with production durability (fsync and synchronous_commit on);
 * - each design's services as their own processes (services/catalog/main.ts with its relay,
 *   services/search/indexer-main.ts; bench/pipeline/seed-catalog.ts and seed-search.ts), started
 *   with the same environment: no OTEL_* variables, so neither traces;
 * - the driver reaches each catalog directly over HTTP, no proxy on either side;
 * - rounds interleaved and balanced (bench/lib/rounds.ts), at a fixed rate and at saturation;
 *   figures are medians with their spread, and eventide ÷ original;
 * - CPU per visible event by process (bench/lib/cpu.ts), each design's processes, PostgreSQL,
 *   Kafka, Elasticsearch and this driver, sampled around each measured run.
 *
 * Creates only, so "visible" is unambiguous. Visibility is what a search sees: a tracker asks
 * Elasticsearch every 50 ms, with _search, for the ids acknowledged but not yet seen (its queries
 * count under the driver and Elasticsearch, alike for both designs).
 *
 * Both designs get the same request with a platform administrator's token (devkit/token-issuer,
 * whose JWKS the catalog fetches once); Eventide's catalog verifies it (a JWT, Ed25519) per
 * request, the seed design predates authorization and ignores it.
 *
 * Last, Elasticsearch is killed 5 s into a fixed-rate run and restarted: what each design does
 * with the writes (OUTAGE=0 skips it).
 *
 *   ROUNDS (default 4, rounded up to even), DURATION (s per run, default 15), RATE (default 100/s),
 *   CONCURRENCY (clients at saturation, default 32), WARMUP (s of saturation per design before
 *   anything is measured, default 5), OUTAGE (default 1)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import pg from 'pg';
import { startElasticsearch } from '../../devkit/elasticsearch.ts';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { percentile, table } from '../../devkit/stats.ts';
import { principals, startTokenIssuer } from '../../devkit/token-issuer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { compareStores, indexedVersions } from '../../scripts/local/convergence.ts';
import { startService } from '../../scripts/local/platform.ts';
import { changeTopic } from '../../services/catalog/events.ts';
import { freshDatabase } from '../../services/catalog/testing/fixtures.ts';
import { alias } from '../../services/search/index-definition.ts';
import { compareDesigns, cpuFigures, type Figure, type WithCpu, withCpu } from '../lib/compare.ts';
import type { Processes } from '../lib/cpu.ts';
import { interleaved, roundOrder } from '../lib/rounds.ts';
import { create, type Sample, VisibilityTracker } from '../lib/visibility.ts';

const rounds = Number(process.env.ROUNDS ?? 4);
const seconds = Number(process.env.DURATION ?? 15);
const fixedRate = Number(process.env.RATE ?? 100);
const concurrency = Number(process.env.CONCURRENCY ?? 32);
const warmupSeconds = Number(process.env.WARMUP ?? 5);
const outage = process.env.OUTAGE !== '0';
const deadLetterTopic = 'search-indexer.dlq';

type Mode = 'fixed' | 'saturation' | 'outage';
interface Run {
  writesPerSecond: number;
  /** Events visible per second, first request to last visible. */
  visiblePerSecond: number;
  visible: number;
  ackMs: number[];
  ackToVisibleMs: number[];
  sendToVisibleMs: number[];
  lost: number;
  errors: number;
}

interface Design {
  label: string;
  url: string;
  index: string;
  processes: Processes;
}

async function measure(design: Design, mode: Mode, durationSeconds: number, fault?: () => Promise<void>): Promise<Run> {
  // One token for the run, taken before it starts; a run is far shorter than a token's 15 minutes.
  const token = await issuer.token(principals.platformAdmin());
  const samples: Sample[] = [];
  const faulting = fault ? sleep(5_000).then(fault) : Promise.resolve();
  const tracker = new VisibilityTracker(es, design.index);
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + durationSeconds * 1000;
  if (mode !== 'saturation') {
    const inFlight = new Set<Promise<void>>();
    let issued = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - t0) / 1000) * fixedRate) - issued;
      for (let i = 0; i < due; i++, issued++) {
        const p: Promise<void> = create(design.url, samples, tracker, token).then((ok) => {
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
        while (performance.now() < end) if (!(await create(design.url, samples, tracker, token))) errors++;
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
    writesPerSecond: acked.length / ((writesDone - t0) / 1000),
    visiblePerSecond: visible.length / ((lastVisible - t0) / 1000),
    visible: visible.length,
    ackMs: acked.map((s) => (s.acked as number) - s.sent),
    ackToVisibleMs: visible.map((s) => Math.max(0, s.visible - s.acked)),
    sendToVisibleMs: visible.map((s) => s.visible - s.sent),
    lost: acked.length - visible.length,
    errors,
  };
}

/** Rows of the seed's database that its index does not have: writes it stored but never indexed. */
async function seedUnsearchable(databaseUrl: string): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM seed_events');
  await db.end();
  const indexed = await indexedVersions(es, 'seed-events');
  return rows.filter((r) => !indexed.has(r.id)).length;
}

console.log(
  `bench/pipeline: ${roundOrder(['eventide', 'original'], rounds).length} rounds × (fixed ${fixedRate}/s, saturation with ${concurrency} clients), ${seconds} s each; PostgreSQL durable, tracing off`,
);
const [kafka, elasticsearch, postgres] = await Promise.all([startKafka(), startElasticsearch(), startPostgres({ durable: true })]);
const issuer = await startTokenIssuer();
const es = new Client({ node: elasticsearch.endpoint });
const admin = kafkaClient({ clientId: 'bench-pipeline', brokers: kafka.brokers }).admin();
const stops: (() => Promise<unknown>)[] = [
  () => Promise.allSettled([kafka, elasticsearch, postgres].map((s) => s.dispose())),
  () => issuer.stop(),
  () => es.close(),
  () => admin.disconnect(),
];
try {
  await admin.connect();
  // As the kind chart's Topics: six partitions for the changes, one for the dead letters.
  await admin.createTopics({
    topics: [
      { topic: changeTopic, numPartitions: 6, replicationFactor: 1 },
      { topic: deadLetterTopic, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const logDir = mkdtempSync(join(tmpdir(), 'eventide-bench-pipeline-'));
  const quiet = { LOG_LEVEL: 'warn' };
  const catalogDb = await freshDatabase(postgres.url);
  const catalog = await startService(
    'catalog',
    'services/catalog/main.ts',
    logDir,
    { ...quiet, KAFKA_BROKERS: kafka.endpoint, DATABASE_URL: catalogDb, IDENTITY_JWKS_URL: issuer.jwksUrl },
    await freePort(),
  );
  stops.push(() => catalog.dispose());
  const indexer = await startService(
    'search-indexer',
    'services/search/indexer-main.ts',
    logDir,
    { ...quiet, KAFKA_BROKERS: kafka.endpoint, ELASTICSEARCH_URL: elasticsearch.endpoint },
    await freePort(),
  );
  stops.push(() => indexer.dispose());
  const seedDb = await freshDatabase(postgres.url);
  const seedSearch = await startService(
    'seed-search',
    'bench/pipeline/seed-search.ts',
    logDir,
    { ...quiet, ELASTICSEARCH_URL: elasticsearch.endpoint },
    await freePort(),
  );
  stops.push(() => seedSearch.dispose());
  const seedCatalog = await startService(
    'seed-catalog',
    'bench/pipeline/seed-catalog.ts',
    logDir,
    { ...quiet, DATABASE_URL: seedDb, SEARCH_URL: seedSearch.url },
    await freePort(),
  );
  stops.push(() => seedCatalog.dispose());

  const servers = { postgres: postgres.pid, elasticsearch: elasticsearch.pid, 'bench driver': () => process.pid };
  const designs = {
    eventide: {
      label: 'outbox → Kafka → indexer',
      url: catalog.url,
      index: alias,
      processes: { 'catalog (+ relay)': catalog.pid, 'search-indexer': indexer.pid, kafka: kafka.pid, ...servers },
    },
    original: {
      label: 'sync HTTP to search',
      url: seedCatalog.url,
      index: 'seed-events',
      processes: { 'seed-catalog': seedCatalog.pid, 'seed-search': seedSearch.pid, ...servers },
    },
  } satisfies Record<string, Design>;
  const names = Object.keys(designs) as (keyof typeof designs)[];
  // Warm both paths (JIT, connection pools, index creation) before anything is measured.
  for (const name of names) await measure(designs[name], 'saturation', warmupSeconds);

  const figures: Figure<Run & WithCpu>[] = [
    { name: 'acked/s', of: (r) => r.writesPerSecond },
    { name: 'visible/s', of: (r) => r.visiblePerSecond },
    { name: 'ack p50 ms', of: (r) => percentile(r.ackMs, 50) },
    { name: 'ack p99 ms', of: (r) => percentile(r.ackMs, 99) },
    { name: 'request → visible p50 ms', of: (r) => percentile(r.sendToVisibleMs, 50) },
    { name: 'request → visible p95 ms', of: (r) => percentile(r.sendToVisibleMs, 95) },
    { name: 'request → visible p99 ms', of: (r) => percentile(r.sendToVisibleMs, 99) },
    { name: 'ack → visible p50 ms', of: (r) => percentile(r.ackToVisibleMs, 50) },
    { name: 'ack → visible p99 ms', of: (r) => percentile(r.ackToVisibleMs, 99) },
    { name: 'not visible within 30 s', of: (r) => r.lost },
  ];
  const reports: string[] = [];
  for (const mode of ['fixed', 'saturation'] as const) {
    const load = mode === 'fixed' ? `fixed ${fixedRate}/s` : `saturation (${concurrency} clients)`;
    const results = await interleaved(names, rounds, async (name, round) => {
      const r = await withCpu(
        designs[name].processes,
        () => measure(designs[name], mode, seconds),
        (run) => run.visible,
      );
      console.log(
        `  round ${round + 1} ${load} ${name.padEnd(8)} writes ${r.writesPerSecond.toFixed(0)}/s, visible ${r.visiblePerSecond.toFixed(0)}/s, request → visible p50 ${percentile(r.sendToVisibleMs, 50).toFixed(0)} ms, lost ${r.lost}, errors ${r.errors}, CPU ${r.cpu.total?.toFixed(2)} ms/event`,
      );
      return r;
    });
    reports.push(
      `${load}, medians (min–max) of ${results.get('eventide')?.length} rounds; eventide: ${designs.eventide.label}, original: ${designs.original.label}\n${compareDesigns(results, [...figures, ...cpuFigures(results, 'visible event')])}`,
    );
  }

  const outageRows: string[][] = [];
  if (outage)
    for (const name of names) {
      const r = await measure(designs[name], 'outage', seconds, async () => {
        await elasticsearch.kill();
        await sleep(3_000);
        await elasticsearch.start();
      });
      const unsearchable =
        name === 'eventide'
          ? (
              await compareStores({
                databaseUrl: catalogDb,
                elasticsearchUrl: elasticsearch.endpoint,
                brokers: kafka.brokers,
                deadLetterTopic,
              })
            ).missing.length
          : await seedUnsearchable(seedDb);
      outageRows.push([
        `${name}: ${designs[name].label}`,
        String(r.ackMs.length),
        String(r.errors),
        r.ackMs.length ? percentile(r.ackMs, 99).toFixed(0) : '—',
        String(r.lost),
        String(unsearchable),
      ]);
      console.log(`  outage ${name}: acked ${r.ackMs.length}, refused ${r.errors}, never searchable ${unsearchable}`);
      // Nothing supervises these processes: an indexer that gave up would make the figures above wrong.
      if (name === 'eventide' && indexer.pid() === undefined) console.log(`  the search-indexer exited; see ${logDir}/search-indexer.log`);
    }

  console.log(`\n${reports.join('\n\n')}`);
  if (outage)
    console.log(`
Elasticsearch killed 5 s into ${seconds} s at ${fixedRate}/s and restarted:
${table(['design', 'writes acked', 'writes refused', 'ack p99 ms', 'acked, not searchable within 60 s', 'in the database, never searchable'], outageRows)}`);
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
