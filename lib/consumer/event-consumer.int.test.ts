// @needs kafka
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createConsumerTopics } from '../../devkit/kafka.ts';
import { ContractRegistry, defineContract, encodeEvent } from '../contracts.ts';
import { kafkaClient } from '../kafka.ts';
import { EventConsumer } from './event-consumer.ts';

const brokers = inject('kafkaBrokers').split(',');
const kafka = kafkaClient({ clientId: 'runtime-test', brokers });
const admin = kafka.admin();
const log = pino({ level: 'silent' });

async function setup(name: string) {
  const suffix = randomUUID().slice(0, 8);
  const topic = `runtime-${name}-${suffix}`;
  const groupId = `runtime-${name}-${suffix}`;
  await createConsumerTopics(admin, { topic, groupId, partitions: 1 });
  const contract = defineContract({
    type: 'dev.eventide.test.tick.v1',
    source: '/test',
    topic,
    data: z.object({ id: z.string(), n: z.int() }),
    subject: (d) => d.id,
    description: 'test',
  });
  const producer = kafka.producer();
  await producer.connect();
  const send = (ns: number[]) => producer.send({ topic, acks: -1, messages: ns.map((n) => encodeEvent(contract, { id: 'k', n })) });
  const committed = async () =>
    Number((await admin.fetchOffsets({ groupId, topics: [topic] }).catch(() => []))[0]?.partitions[0]?.offset ?? -1);
  const consumer = (options: Pick<ConstructorParameters<typeof EventConsumer>[0], 'handle' | 'retry'>) =>
    new EventConsumer({ brokers, groupId, topic, contracts: new ContractRegistry([contract]), log, ...options });
  return { consumer, send, committed, done: () => producer.disconnect() };
}
const until = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());

describe('the consumer runtime against a real broker', () => {
  it('on stop, finishes the batch in flight and commits it before leaving the group', async () => {
    const t = await setup('stop');
    let inHandler = false;
    const handled: number[] = [];
    const consumer = t.consumer({
      async handle(events) {
        inHandler = true;
        await new Promise((r) => setTimeout(r, 2_000));
        handled.push(...events.map((e) => (e.data as { n: number }).n));
        return events.map(() => undefined);
      },
    });
    await t.send(Array.from({ length: 20 }, (_, n) => n));
    await consumer.start();
    await until('in the handler', () => inHandler);
    await consumer.stop();
    expect(handled.length).toBeGreaterThan(0);
    expect(await t.committed()).toBe(handled.length);
    await t.done();
  });

  it('commits nothing while the handler says its dependency is down, and everything once it is back', async () => {
    const t = await setup('down');
    let down = true;
    let calls = 0;
    const consumer = t.consumer({
      retry: { baseMs: 50 },
      async handle(events) {
        calls++;
        if (down) throw new Error('the database is down');
        return events.map(() => undefined);
      },
    });
    await t.send([1, 2, 3, 4, 5]);
    await consumer.start();
    try {
      await until('retried three times', () => calls >= 3);
      expect(await t.committed()).toBe(-1);
      expect(consumer.counts).toMatchObject({ handled: 0, deadLettered: 0 });
      down = false;
      await until('all committed', async () => (await t.committed()) === 5);
      expect(consumer.counts).toMatchObject({ handled: 5, deadLettered: 0 });
    } finally {
      await consumer.stop();
      await t.done();
    }
  });
});
