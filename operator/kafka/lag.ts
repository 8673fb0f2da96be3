import { type Admin, type KafkaSecurity, kafkaClient } from '../../lib/kafka.ts';
import type { PartitionOffsets } from '../api/kafka.ts';
import { Batcher, type BatcherOptions, eachOrAlone, type Outcome } from '../runtime/batcher.ts';

type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

export interface KafkaLagOptions {
  security?: KafkaSecurity;
  clientId?: string;
  /** Each Kafka request this client sends, by API name, for metrics and benchmarks. */
  onRequest?: (api: string) => void;
  batch?: Pick<BatcherOptions<unknown>, 'lingerMs' | 'maxBatch'>;
}

const answered = <T>(value: T): Outcome<T> => ({ ok: true, value });

/**
 * Reads what the scaling rule needs: end, start and committed offsets of a group's partitions, and
 * its members. Groups polled together (a poll round) share requests: one ListOffsets per broker
 * reads the end offsets of all their topics, and one DescribeGroups asks about all the groups.
 * Committed offsets stay one OffsetFetch per group: kafkajs speaks no OffsetFetch version that
 * takes several groups.
 */
export class KafkaLag {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;
  private readonly ends: Batcher<string, TopicOffsets>;
  private readonly describes: Batcher<string, number>;

  constructor(brokers: string[], options: KafkaLagOptions = {}) {
    // Few retries: a poll that cannot read lag holds the replicas and tries again next poll.
    this.admin = kafkaClient({
      clientId: options.clientId ?? 'eventide-operator-lag',
      brokers,
      ...options.security,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 1 },
    }).admin();
    const { onRequest } = options;
    if (onRequest) this.admin.on(this.admin.events.REQUEST, (event) => onRequest(event.payload.apiName));
    const batch = options.batch ?? {};
    this.ends = new Batcher(
      async (topics) => {
        await this.connect();
        // One ListOffsets per broker for each side (our kafkajs patch); a missing topic fails that
        // request, so then each topic is read alone and only its own groups lack lag.
        return eachOrAlone(
          topics,
          async (all) => {
            const byTopic = new Map((await this.admin.fetchTopicsOffsets(all)).map((t) => [t.topic, t.partitions]));
            return all.map((topic) => byTopic.get(topic) ?? []);
          },
          (topic) => this.admin.fetchTopicOffsets(topic),
        );
      },
      { ...batch, key: (topic) => topic, spanName: 'kafka ListOffsets' },
    );
    this.describes = new Batcher(
      async (groupIds) => {
        await this.connect();
        const { groups } = await this.admin.describeGroups(groupIds);
        const byId = new Map(groups.map((g) => [g.groupId, g]));
        return groupIds.map((id) => {
          const group = byId.get(id);
          return answered(!group || group.state === 'Empty' || group.state === 'Dead' ? 0 : group.members.length);
        });
      },
      { ...batch, key: (groupId) => groupId, spanName: 'kafka DescribeGroups' },
    );
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
      Promise.all(topics.map(async (topic) => ({ topic, partitions: await this.ends.call(topic) }))),
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
  members(groupId: string): Promise<number> {
    return this.describes.call(groupId);
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
    this.connected = undefined;
  }
}
