import { type Admin, type KafkaSecurity, kafkaClient } from '../../lib/kafka.ts';
import type { PartitionOffsets } from '../scaling/rule.ts';

/** Reads what the scaling rule needs: end, start and committed offsets of a group's partitions. */
export class KafkaLag {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(brokers: string[], security: KafkaSecurity = {}, clientId = 'eventide-operator-lag') {
    // Few retries: a poll that cannot read lag holds the replicas and tries again next poll.
    this.admin = kafkaClient({
      clientId,
      brokers,
      ...security,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 1 },
    }).admin();
  }

  private async connect(): Promise<void> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
  }

  async offsets(groupId: string, topics: string[]): Promise<PartitionOffsets[]> {
    await this.connect();
    const [ends, committed] = await Promise.all([
      Promise.all(topics.map(async (topic) => ({ topic, partitions: await this.admin.fetchTopicOffsets(topic) }))),
      this.admin.fetchOffsets({ groupId, topics }),
    ]);
    const committedBy = new Map(
      committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, Number(p.offset)] as const)),
    );
    return ends.flatMap(({ topic, partitions }) =>
      partitions.map((p) => {
        const at = committedBy.get(`${topic}/${p.partition}`);
        return {
          topic,
          partition: p.partition,
          endOffset: Number(p.high),
          startOffset: Number(p.low),
          committedOffset: at === undefined || at < 0 ? null : at,
        };
      }),
    );
  }

  /**
   * Members of the group now: 0 when it is Empty or Dead (every consumer crashed, hangs or lost
   * Kafka), which no offset alone tells apart from a partition that is merely stuck.
   */
  async members(groupId: string): Promise<number> {
    await this.connect();
    const { groups } = await this.admin.describeGroups([groupId]);
    const group = groups.find((g) => g.groupId === groupId);
    if (!group || group.state === 'Empty' || group.state === 'Dead') return 0;
    return group.members.length;
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = undefined;
  }
}
