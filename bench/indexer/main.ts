/**
 * Indexing throughput from a pre-filled topic into a real Elasticsearch, in one run:
 * - the indexer with 1, 2 and 4 instances (each its own process, one consumer group),
 * - the ceiling: the same documents bulk-loaded straight into Elasticsearch, 6 requests in flight,
 *   after a warm-up pass (ratio indexer/ceiling),
 * - the seed design's baseline: one message at a time, one index request each (ratio).
 *
 *   BENCH_CHANGES (default 200000), BENCH_BASELINE_CHANGES (default 5000: the baseline is slow)
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import kafkajs from 'kafkajs';
import { startElasticsearch } from '../../devkit/elasticsearch.ts';
import { startKafka } from '../../devkit/kafka.ts';
import { type Launched, launch } from '../../devkit/process.ts';
import { table } from '../../devkit/stats.ts';
import { type Change, fromRecord, toRecord } from '../../services/catalog/events.ts';
import { ensureIndex } from '../../services/search/index-admin.ts';
import { indexName } from '../../services/search/index-definition.ts';
import { repoRoot, versions } from '../../shared/versions.ts';

const total = Number(process.env.BENCH_CHANGES ?? 200_000);
const baselineTotal = Number(process.env.BENCH_BASELINE_CHANGES ?? 5_000);
const kafka = await startKafka();
const elasticsearch = await startElasticsearch();
const es = new Client({ node: elasticsearch.url });
const client = new kafkajs.Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = client.admin();
await admin.connect();
const topic = 'catalog.events';
await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });

const change = (i: number): Change => {
  const id = randomUUID();
  return {
    id: randomUUID(),
    kind: 'created',
    entityId: id,
    version: 1,
    time: new Date(),
    data: {
      id,
      version: 1,
      name: `Event ${i}`,
      description: 'An evening of music and talk in the harbour hall',
      category: ['concert', 'talk', 'festival'][i % 3],
      city: ['Hamburg', 'Berlin', 'Munich', 'Cologne'][i % 4],
      country: 'DE',
      venue: 'Hall',
      startsAt: new Date(Date.UTC(2027, i % 12, 1 + (i % 28))).toISOString(),
      endsAt: new Date(Date.UTC(2027, i % 12, 1 + (i % 28), 3)).toISOString(),
      capacity: 100 + (i % 900),
      priceMinor: 1000 + (i % 5000),
      currency: 'EUR',
      organizerId: randomUUID(),
      status: 'published',
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    },
  };
};
const changes = Array.from({ length: total }, (_, i) => change(i));
const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < total; i += 2_000) await producer.send({ topic, acks: -1, messages: changes.slice(i, i + 2_000).map(toRecord) });
await producer.disconnect();

async function freshIndex() {
  await es.indices.delete({ index: indexName, ignore_unavailable: true });
  await ensureIndex(es);
}
const committed = async (groupId: string) =>
  (await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []))[0]?.partitions.reduce(
    (n, p) => n + Math.max(0, Number(p.offset)),
    0,
  ) ?? 0;

async function runIndexers(instances: number): Promise<number> {
  await freshIndex();
  const groupId = `bench-${instances}-${randomUUID().slice(0, 6)}`;
  const logs = mkdtempSync(join(tmpdir(), 'eventide-bench-'));
  const procs: Launched[] = [];
  const t0 = performance.now();
  for (let i = 0; i < instances; i++) {
    procs.push(
      launch({
        name: `indexer-${i}`,
        command: process.execPath,
        args: [join(repoRoot, 'services/search/indexer-main.ts')],
        logFile: join(logs, `indexer-${i}.log`),
        env: {
          ...process.env,
          KAFKA_BROKERS: kafka.endpoint,
          ELASTICSEARCH_URL: elasticsearch.url,
          KAFKA_GROUP_ID: groupId,
          PORT: '0',
          LOG_LEVEL: 'warn',
        },
      }),
    );
  }
  while ((await committed(groupId)) < total) await new Promise((r) => setTimeout(r, 100));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(procs.map((p) => p.stop()));
  return total / seconds;
}

/** The ceiling: the same documents bulk-loaded directly, 6 requests in flight (one per partition). */
async function ceiling(): Promise<number> {
  await freshIndex();
  const t0 = performance.now();
  const streams = 6;
  await Promise.all(
    Array.from({ length: streams }, async (_, stream) => {
      for (let i = stream * 2_000; i < total; i += streams * 2_000) {
        await es.bulk({
          operations: changes
            .slice(i, i + 2_000)
            .flatMap((c) => [
              { index: { _index: indexName, _id: c.entityId, version: c.version, version_type: 'external' as const } },
              c.data,
            ]),
        });
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/** The seed design: each message indexed on its own, committed as kafkajs does by default. */
async function baseline(): Promise<number> {
  await freshIndex();
  const consumer = client.consumer({ groupId: `baseline-${randomUUID().slice(0, 6)}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolveRun) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (done >= baselineTotal) return;
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));
        const c = fromRecord({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
        await es
          .index({ index: indexName, id: c.entityId, version: c.version, version_type: 'external', document: c.data })
          .catch(() => undefined);
        if (++done === baselineTotal) resolveRun();
      },
    });
  });
  const rate = baselineTotal / ((performance.now() - t0) / 1000);
  await consumer.disconnect();
  return rate;
}

const rows: string[][] = [];
try {
  console.log(
    `indexer: Kafka ${versions.kafka}, Elasticsearch ${versions.elasticsearch}, Node ${process.versions.node}, ${cpus().length} cores; ${total} changes over 6 partitions`,
  );
  await ceiling(); // warm-up: Elasticsearch's JIT and caches, so the measured runs compare fairly
  const top = await ceiling();
  const results: [string, number][] = [];
  for (const n of [1, 2, 4]) results.push([`indexer × ${n}`, await runIndexers(n)]);
  const seed = await baseline();
  for (const [name, rate] of results) rows.push([name, rate.toFixed(0), `${(rate / top).toFixed(2)}×`, `${(rate / seed).toFixed(1)}×`]);
  rows.push(['bulk straight into Elasticsearch (ceiling)', top.toFixed(0), '1.00×', `${(top / seed).toFixed(1)}×`]);
  rows.push([`one message at a time (seed design, ${baselineTotal} changes)`, seed.toFixed(0), `${(seed / top).toFixed(2)}×`, '1.0×']);
} finally {
  await admin.disconnect();
  await es.close();
  await elasticsearch.dispose();
  await kafka.dispose();
}
console.log(`\n${table(['indexing', 'docs/s', 'vs ceiling', 'vs one-at-a-time'], rows)}`);
