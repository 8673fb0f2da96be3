/**
 * What tracing costs the pipeline (catalog → outbox → relay → Kafka → indexer → Elasticsearch):
 * saturation throughput and request → visible latency with tracing off, sampling 10 % and 100 %
 * of requests into a real Jaeger, in the same run on the same servers, configurations rotated each
 * round so drift on a shared machine favours none, beside the commit before tracing existed
 * (BENCH_BASELINE, default b4379f2, checked out into a temporary worktree) to see what "off" costs. Each run starts its own catalog (own database)
 * and indexer (own group, starting at the topic's end, and own index) as processes, configured
 * only by the standard OTEL_* variables. The writes carry a platform administrator's token from
 * devkit/token-issuer; the baseline predates authorization and ignores it, so "off" vs before
 * also includes verifying a JWT (Ed25519) per request.
 */

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { startElasticsearch } from '../../devkit/elasticsearch.ts';
import { startJaeger } from '../../devkit/jaeger.ts';
import { startKafka } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { startPostgres } from '../../devkit/postgres.ts';
import { median, percentile, table } from '../../devkit/stats.ts';
import { principals, startTokenIssuer } from '../../devkit/token-issuer.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { startService } from '../../scripts/local/platform.ts';
import { changeTopic } from '../../services/catalog/events.ts';
import { freshDatabase } from '../../services/catalog/testing/fixtures.ts';
import { repoRoot } from '../../shared/versions.ts';
import { create, type Sample, VisibilityTracker } from '../lib/visibility.ts';

/** The commit before tracing, run beside with tracing off: what "off costs nothing" is measured against ("none" skips it). */
const baselineRef = process.env.BENCH_BASELINE ?? 'b4379f2';
const seconds = Number(process.env.DURATION ?? 15);
const concurrency = Number(process.env.CONCURRENCY ?? 32);

interface Run {
  config: string;
  acked: number;
  visible: number;
  p50: number;
  p99: number;
  /** Requests acknowledged, and traces Jaeger holds from the run's catalog. */
  requests: number;
  traces: number;
  spans: number;
}

const [kafka, elasticsearch, postgres, jaeger] = await Promise.all([startKafka(), startElasticsearch(), startPostgres(), startJaeger()]);
const issuer = await startTokenIssuer();
const logDir = mkdtempSync(join(tmpdir(), 'eventide-bench-tracing-'));
const admin = kafkaClient({ clientId: 'bench-tracing', brokers: kafka.brokers }).admin();
const es = new Client({ node: elasticsearch.url });
const sampled = (ratio: number) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint,
  OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
  OTEL_TRACES_SAMPLER_ARG: String(ratio),
});
/** This commit's programs, or the baseline's checked out beside with the same dependencies. */
function baselineRoot(): string | undefined {
  if (baselineRef === 'none') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'eventide-baseline-'));
  execFileSync('git', ['-C', repoRoot, 'worktree', 'add', '--detach', dir, baselineRef], { stdio: 'ignore' });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
const before = baselineRoot();
const configs: { name: string; env: Record<string, string>; root?: string }[] = [
  ...(before ? [{ name: `before (${baselineRef})`, env: {}, root: before }] : []),
  { name: 'off', env: {} },
  { name: '10 %', env: sampled(0.1) },
  { name: '100 %', env: sampled(1) },
];
// As many rounds as configurations by default: rotated, each runs once in every position of a round
// (throughput drifts upward through a session on this machine, so position matters).
const rounds = Number(process.env.ROUNDS ?? configs.length);
console.log(
  `bench/tracing: ${rounds} rounds × (${configs.map((c) => c.name).join(', ')}), saturation with ${concurrency} clients, ${seconds} s each`,
);

/**
 * Traces Jaeger holds from a run's catalog, and the catalog's spans in them: the share of requests
 * a run kept, and whether each kept trace is whole (three catalog spans: the request, its INSERT,
 * the relay's publish; a span queue that overflows drops some).
 */
async function kept(service: string): Promise<{ traces: number; spans: number }> {
  const response = await fetch(`${jaeger.url}/api/traces?service=${service}&limit=50000&lookback=1h`);
  if (!response.ok) throw new Error(`Jaeger answered ${response.status}: ${await response.text()}`);
  const traces =
    ((await response.json()) as { data?: { spans: { processID: string }[]; processes: Record<string, { serviceName: string }> }[] }).data ??
    [];
  const spans = traces.reduce((n, t) => n + t.spans.filter((s) => t.processes[s.processID]?.serviceName === service).length, 0);
  return { traces: traces.length, spans };
}

/**
 * The topic's end offsets. Right after the topic is created a partition's leader may not answer
 * yet ("not the leader"): asked again, on state rather than a fixed wait, up to a minute.
 */
async function topicEnds(): Promise<{ partition: number; high: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(changeTopic);
    } catch (error) {
      if (attempt >= 60) throw error;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

async function measure(config: (typeof configs)[number]): Promise<Run> {
  const id = randomUUID().slice(0, 8);
  const group = `bench-tracing-${id}`;
  const index = `bench-tracing-${id}`;
  // A new group starts where the topic ends now: earlier runs' records are not this run's work.
  const ends = await topicEnds();
  await admin.setOffsets({ groupId: group, topic: changeTopic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })) });
  const service = (name: string) => `${name}-${id}`;
  const catalog = await startService(
    service('catalog'),
    'services/catalog/main.ts',
    logDir,
    {
      KAFKA_BROKERS: kafka.endpoint,
      DATABASE_URL: await freshDatabase(postgres.url),
      IDENTITY_JWKS_URL: issuer.jwksUrl,
      OTEL_SERVICE_NAME: service('catalog'),
      LOG_LEVEL: 'warn',
      ...config.env,
    },
    await freePort(),
    config.root,
  );
  const indexer = await startService(
    service('indexer'),
    'services/search/indexer-main.ts',
    logDir,
    {
      KAFKA_BROKERS: kafka.endpoint,
      ELASTICSEARCH_URL: elasticsearch.url,
      KAFKA_GROUP_ID: group,
      ELASTICSEARCH_INDEX: index,
      OTEL_SERVICE_NAME: service('indexer'),
      LOG_LEVEL: 'warn',
      ...config.env,
    },
    await freePort(),
    config.root,
  );
  let result: Omit<Run, 'traces' | 'spans'>;
  try {
    const samples: Sample[] = [];
    // A token per run: all rounds together outlive one (15 minutes).
    const token = await issuer.token(principals.platformAdmin());
    const tracker = new VisibilityTracker(es, index);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) await create(catalog.url, samples, tracker, token);
      }),
    );
    const writesDone = performance.now();
    await tracker.finish(30_000);
    const acked = samples.filter((s) => s.acked !== undefined);
    const visible = acked.filter((s) => s.visible !== undefined) as Required<Sample>[];
    const lastVisible = Math.max(...visible.map((s) => s.visible));
    const latencies = visible.map((s) => s.visible - s.sent);
    result = {
      config: config.name,
      acked: acked.length / ((writesDone - t0) / 1000),
      visible: visible.length / ((lastVisible - t0) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      requests: acked.length,
    };
  } finally {
    // Stopped (SIGTERM): each process flushes its last spans before it exits.
    await catalog.stop();
    await indexer.stop();
    await es.indices.delete({ index }, { ignore: [404] }).catch(() => undefined);
  }
  return { ...result, ...(await kept(service('catalog'))) };
}

try {
  await admin.connect();
  if (!(await admin.listTopics()).includes(changeTopic))
    await admin.createTopics({ topics: [{ topic: changeTopic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  // Warm the servers (JIT, index creation, Kafka's log segments) before anything is measured.
  await measure(configs[0] as (typeof configs)[number]);
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = [...configs.slice(round % configs.length), ...configs.slice(0, round % configs.length)];
    for (const config of order) {
      const r = await measure(config);
      runs.push(r);
      console.log(
        `  round ${round} tracing ${config.name.padEnd(6)} acked ${r.acked.toFixed(0)}/s, visible ${r.visible.toFixed(0)}/s, request → visible p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, traces kept ${r.traces} of ${r.requests} requests${r.traces ? ` (${(r.spans / r.traces).toFixed(2)} catalog spans each)` : ''}`,
      );
    }
  }
  const rows: string[][] = [];
  // Costs against the oldest code there is in the run: the baseline when there is one.
  const off = runs.filter((r) => r.config === (configs[0] as (typeof configs)[number]).name);
  const base = { acked: median(off.map((r) => r.acked)), visible: median(off.map((r) => r.visible)) };
  for (const config of configs) {
    const these = runs.filter((r) => r.config === config.name);
    const acked = median(these.map((r) => r.acked));
    const visible = median(these.map((r) => r.visible));
    rows.push([
      config.name,
      acked.toFixed(0),
      visible.toFixed(0),
      `${median(these.map((r) => r.p50)).toFixed(0)} / ${median(these.map((r) => r.p99)).toFixed(0)}`,
      `${((1 - acked / base.acked) * 100).toFixed(1)} %`,
      `${((1 - visible / base.visible) * 100).toFixed(1)} %`,
    ]);
  }
  console.log(`\nmedians of ${rounds} rounds (saturation, ${concurrency} clients):`);
  console.log(
    table(
      [
        'tracing',
        'acked/s',
        'visible/s',
        'request → visible p50 / p99 ms',
        `acked/s cost vs ${configs[0]?.name}`,
        `visible/s cost vs ${configs[0]?.name}`,
      ],
      rows,
    ),
  );
} finally {
  await admin.disconnect().catch(() => undefined);
  await es.close();
  await Promise.allSettled([kafka, elasticsearch, postgres, jaeger].map((s) => s.dispose()));
  await issuer.stop();
  if (before) execFileSync('git', ['-C', repoRoot, 'worktree', 'remove', '--force', before], { stdio: 'ignore' });
}
