/**
 * Producer and consumer throughput of kafkajs and @platformatic/kafka against the same real broker,
 * in one run, rounds interleaved so drift on a shared machine hits both alike. 1 KiB JSON values,
 * 6 partitions, idempotent producers with acks=all, batches of 1,000 awaited one after another
 * (the outbox relay's pattern). Prints medians with min–max and the ratio per round.
 *
 *   BENCH_MESSAGES (default 100000), BENCH_ROUNDS (default 3), EVENTIDE_KAFKA_BROKERS (reuse a broker)
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Consumer, Admin as PlatformaticAdmin, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../../devkit/kafka.ts';
import { median, spread, table } from '../../devkit/stats.ts';
import { versions } from '../../shared/versions.ts';

const messagesPerRun = Number(process.env.BENCH_MESSAGES ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const batchSize = 1_000;
const partitions = 6;

const padding = 'x'.repeat(1024 - JSON.stringify({ id: randomUUID(), n: 0, payload: '' }).length - 6);
const value = (n: number) => JSON.stringify({ id: randomUUID(), n, payload: padding });

interface Result {
  produce: number;
  consume: number;
}
type Client = { name: string; run(brokers: string[], topic: string): Promise<Result> };

function rate(count: number, startNs: bigint, endNs: bigint): number {
  return count / (Number(endNs - startNs) / 1e9);
}

const kafkajs: Client = {
  name: 'kafkajs 2.2.4',
  async run(brokers, topic) {
    const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const p0 = process.hrtime.bigint();
    for (let sent = 0; sent < messagesPerRun; sent += batchSize) {
      const messages = Array.from({ length: batchSize }, (_, i) => ({ key: String((sent + i) % 997), value: value(sent + i) }));
      await producer.send({ topic, acks: -1, messages });
    }
    const p1 = process.hrtime.bigint();
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let received = 0;
    let c0 = 0n;
    const c1 = await new Promise<bigint>((done) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (c0 === 0n) c0 = process.hrtime.bigint();
          for (const message of batch.messages) JSON.parse(message.value?.toString() ?? '');
          received += batch.messages.length;
          if (received >= messagesPerRun) done(process.hrtime.bigint());
        },
      });
    });
    await consumer.disconnect();
    return { produce: rate(messagesPerRun, p0, p1), consume: rate(received, c0, c1) };
  },
};

const platformatic: Client = {
  name: '@platformatic/kafka 2.12.1',
  async run(brokers, topic) {
    const producer = new Producer({
      clientId: 'bench-platformatic',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
    });
    const p0 = process.hrtime.bigint();
    for (let sent = 0; sent < messagesPerRun; sent += batchSize) {
      const messages = Array.from({ length: batchSize }, (_, i) => ({ topic, key: String((sent + i) % 997), value: value(sent + i) }));
      await producer.send({ messages });
    }
    const p1 = process.hrtime.bigint();
    await producer.close();

    const consumer = new Consumer({
      clientId: 'bench-platformatic',
      groupId: `bench-${randomUUID()}`,
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true });
    let received = 0;
    let c0 = 0n;
    let c1 = 0n;
    for await (const message of stream) {
      if (c0 === 0n) c0 = process.hrtime.bigint();
      JSON.parse(message.value);
      if (++received >= messagesPerRun) {
        c1 = process.hrtime.bigint();
        break;
      }
    }
    await stream.close();
    await consumer.close(true);
    return { produce: rate(messagesPerRun, p0, p1), consume: rate(received, c0, c1) };
  },
};

const kafka = await startKafka();
const brokers = kafka.brokers;
const admin = new PlatformaticAdmin({ clientId: 'bench-admin', bootstrapBrokers: brokers });
const results = new Map<string, Result[]>([
  [kafkajs.name, []],
  [platformatic.name, []],
]);
const ratios: Result[] = [];
try {
  console.log(
    `kafka-clients: Kafka ${versions.kafka} on ${brokers.join(',')}, Node ${process.versions.node}, ${cpus().length} cores; ${messagesPerRun} × 1 KiB per run, ${rounds} rounds`,
  );
  for (let round = 0; round < rounds; round++) {
    // Alternate who goes first so that warm-up and drift do not favour one client.
    const order = round % 2 === 0 ? [kafkajs, platformatic] : [platformatic, kafkajs];
    const byName = new Map<string, Result>();
    for (const client of order) {
      const topic = `bench-${randomUUID()}`;
      await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      const result = await client.run(brokers, topic);
      await admin.deleteTopics({ topics: [topic] });
      byName.set(client.name, result);
      results.get(client.name)?.push(result);
      console.log(
        `  round ${round + 1} ${client.name.padEnd(28)} produce ${result.produce.toFixed(0).padStart(7)} msg/s   consume ${result.consume.toFixed(0).padStart(7)} msg/s`,
      );
    }
    const a = byName.get(platformatic.name) as Result;
    const b = byName.get(kafkajs.name) as Result;
    ratios.push({ produce: a.produce / b.produce, consume: a.consume / b.consume });
  }
} finally {
  await admin.close();
  await kafka.dispose();
}

const fmt = (values: number[]) => {
  const s = spread(values);
  return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
};
const rows = [...results].map(([name, rs]) => [name, fmt(rs.map((r) => r.produce)), fmt(rs.map((r) => r.consume))]);
rows.push([
  'ratio platformatic / kafkajs',
  `${median(ratios.map((r) => r.produce)).toFixed(2)}×`,
  `${median(ratios.map((r) => r.consume)).toFixed(2)}×`,
]);
console.log(`\n${table(['client', 'produce msg/s median (min–max)', 'consume msg/s median (min–max)'], rows)}`);
