// @needs kafka
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaClient } from '../../lib/kafka.ts';
import { KafkaLag } from './lag.ts';

const brokers = inject('kafkaBrokers').split(',');
const admin = kafkaClient({ clientId: 'lag-test', brokers }).admin();
const lag = new KafkaLag(brokers);

beforeAll(() => admin.connect());
afterAll(async () => {
  await lag.close();
  await admin.disconnect();
});

describe('KafkaLag against a real broker', () => {
  // A topic deleted by someone else (a Topic CR removed before its ConsumerGroup) stayed in the
  // client's metadata and made every later read fail, for every group, until a restart.
  it('reads the lag of other groups after a topic it has read is deleted', async () => {
    const [gone, kept] = [`lag-gone-${randomUUID()}`, `lag-kept-${randomUUID()}`];
    await admin.createTopics({ topics: [{ topic: gone, numPartitions: 2 }], waitForLeaders: true });
    await admin.setOffsets({ groupId: `g-${gone}`, topic: gone, partitions: [{ partition: 0, offset: '0' }] });
    expect(await lag.offsets(`g-${gone}`, [gone])).toHaveLength(2);

    await admin.deleteTopics({ topics: [gone] });
    await admin.createTopics({ topics: [{ topic: kept, numPartitions: 3 }], waitForLeaders: true });

    // The poll that meets the deleted topic may fail; the next one must not.
    const read = () => lag.offsets(`g-${kept}`, [kept]);
    const first = await read().catch((error: Error) => error);
    const second = first instanceof Error ? await read() : first;
    expect(second.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    await expect(lag.offsets(`g-${gone}`, [gone])).rejects.toThrow();
    // …and asking for the deleted topic again does not break the others.
    expect(await read()).toHaveLength(3);
  });
});
