// @needs kafka
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const brokers = inject('kafkaBrokers').split(',');
const kafka = new Kafka({ clientId: 'eventide-smoke', brokers, logLevel: logLevel.NOTHING });
let admin: Admin;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin.disconnect();
});

async function lagOf(groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]));
  return ends.reduce((sum, p) => {
    const at = done.get(p.partition) ?? -1;
    return sum + Math.max(0, Number(p.high) - Math.max(at, 0));
  }, 0);
}

describe('kafkajs against a real Kafka 4.x broker', () => {
  it('round-trips 10,000 keyed messages with headers, in per-key order, and reports lag exactly', async () => {
    const topic = `smoke-${randomUUID()}`;
    const groupId = `smoke-group-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(6);

    const keys = Array.from({ length: 50 }, () => randomUUID());
    const total = 10_000;
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let batch = 0; batch < total / 1000; batch++) {
      const messages = Array.from({ length: 1000 }, (_, i) => {
        const n = batch * 1000 + i;
        const key = keys[n % keys.length] as string;
        return { key, value: JSON.stringify({ n }), headers: { ce_id: `id-${n}`, ce_type: 'smoke.v1' } };
      });
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    // Before anyone consumed: a group that has committed nothing lags by the whole topic.
    await admin.setOffsets({ groupId, topic, partitions: Array.from({ length: 6 }, (_, partition) => ({ partition, offset: '0' })) });
    expect(await lagOf(groupId, topic)).toBe(total);

    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const lastSeen = new Map<string, number>();
    let received = 0;
    let outOfOrder = 0;
    let badHeaders = 0;
    const allIn = new Promise<void>((resolveAll) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const key = message.key?.toString() ?? '';
          const { n } = JSON.parse(message.value?.toString() ?? '{}') as { n: number };
          if ((lastSeen.get(key) ?? -1) >= n) outOfOrder++;
          lastSeen.set(key, n);
          if (message.headers?.ce_id?.toString() !== `id-${n}` || message.headers?.ce_type?.toString() !== 'smoke.v1') badHeaders++;
          if (++received === total) resolveAll();
        },
      });
    });
    await allIn;
    await consumer.stop();
    await consumer.disconnect();

    expect(received).toBe(total);
    expect(outOfOrder).toBe(0);
    expect(badHeaders).toBe(0);
    expect(lastSeen.size).toBe(keys.length);
    expect(await lagOf(groupId, topic)).toBe(0);
  });

  // KIP-896 (Kafka 4.0) removed old protocol versions. These are the admin requests the operator
  // depends on; each is named so that a failure says which request kafkajs can no longer make.
  describe('admin requests the operator uses', () => {
    const topic = `admin-${randomUUID()}`;

    it('CreateTopics with configs', async () => {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
        waitForLeaders: true,
      });
      expect(created).toBe(true);
    });

    it('DescribeConfigs', async () => {
      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(described.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? []);
      expect(entries).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'delete' });
    });

    it('AlterConfigs (full replace: a key left out returns to the default)', async () => {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }],
        includeSynonyms: false,
      });
      const entries = Object.fromEntries(
        described.resources[0]?.configEntries.map((e) => [e.configName, [e.configValue, e.isDefault]]) ?? [],
      );
      expect(entries['cleanup.policy']).toEqual(['compact', false]);
      expect(entries['retention.ms']).toEqual(['604800000', true]);
    });

    it("AlterConfigs surfaces Kafka's own error for an unknown key", async () => {
      await expect(
        admin.alterConfigs({
          validateOnly: true,
          resources: [{ type: 2, name: topic, configEntries: [{ name: 'no.such.key', value: '1' }] }],
        }),
      ).rejects.toThrow(/no\.such\.key|Unknown|invalid/i);
    });

    it('CreatePartitions', async () => {
      await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).toHaveLength(4);
    });

    it('ListGroups and DescribeGroups', async () => {
      const { groups } = await admin.listGroups();
      expect(Array.isArray(groups)).toBe(true);
      const described = await admin.describeGroups(['no-such-group']);
      expect(described.groups[0]?.state).toBe('Dead');
    });

    it('DeleteTopics', async () => {
      await admin.deleteTopics({ topics: [topic] });
      // KRaft removes a deleted topic from the brokers' metadata a moment after DeleteTopics returns
      // (a listing at once still named it in one CI run): look for up to 10 s.
      let names = await admin.listTopics();
      for (const deadline = Date.now() + 10_000; names.includes(topic) && Date.now() < deadline; names = await admin.listTopics())
        await new Promise((r) => setTimeout(r, 100));
      expect(names).not.toContain(topic);
    });
  });
});
