import { type Admin, ConfigResourceTypes, type KafkaSecurity, kafkaClient } from '../../lib/kafka.ts';
import type { ObservedTopic } from '../controllers/topic-plan.ts';

/** kafkajs reports a topic-level override with this config source (DYNAMIC_TOPIC_CONFIG). */
const topicOverride = 1;

function isUnknownTopic(error: unknown): boolean {
  return (error as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/** Kafka's own words for a failed admin request, including per-resource errors. */
export function kafkaMessage(error: unknown): string {
  const e = error as { message?: string; errors?: { message?: string }[]; cause?: unknown };
  const nested = e.errors?.map((x) => x.message).filter(Boolean) ?? [];
  return [e.message, ...nested].filter(Boolean).join(': ') || String(error);
}

/** The topic operations the Topic controller needs, over one kafkajs admin connection. */
export class KafkaTopics {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;

  constructor(brokers: string[], security: KafkaSecurity = {}, clientId = 'eventide-operator') {
    this.admin = kafkaClient({ clientId, brokers, ...security, retry: { retries: 2 } }).admin();
  }

  private async ready(): Promise<Admin> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.admin;
  }

  async describe(name: string): Promise<ObservedTopic | undefined> {
    const admin = await this.ready();
    let metadata: Awaited<ReturnType<Admin['fetchTopicMetadata']>>;
    try {
      metadata = await admin.fetchTopicMetadata({ topics: [name] });
    } catch (error) {
      if (isUnknownTopic(error)) return undefined;
      throw error;
    }
    const topic = metadata.topics[0];
    if (!topic) return undefined;
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name }], includeSynonyms: false });
    const entries = configs.resources[0]?.configEntries ?? [];
    return {
      name,
      partitions: topic.partitions.length,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
      config: Object.fromEntries(
        entries.filter((e) => (e as { configSource?: number }).configSource === topicOverride).map((e) => [e.configName, e.configValue]),
      ),
    };
  }

  async create(name: string, partitions: number, replicationFactor: number, config: Record<string, string>): Promise<void> {
    const admin = await this.ready();
    await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor,
          configEntries: Object.entries(config).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      waitForLeaders: true,
    });
  }

  async addPartitions(name: string, count: number): Promise<void> {
    const admin = await this.ready();
    await admin.createPartitions({ topicPartitions: [{ topic: name, count }] });
  }

  /**
   * Sets the topic's overrides to exactly `config`. kafkajs has no IncrementalAlterConfigs, so this
   * is AlterConfigs with the whole desired set: keys left out return to the broker default, which
   * is the same end state an incremental update of just the changed keys reaches.
   */
  async setConfig(name: string, config: Record<string, string>): Promise<void> {
    const admin = await this.ready();
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name, configEntries: Object.entries(config).map(([k, v]) => ({ name: k, value: v })) },
      ],
    });
  }

  async delete(name: string): Promise<void> {
    const admin = await this.ready();
    try {
      await admin.deleteTopics({ topics: [name] });
    } catch (error) {
      if (!isUnknownTopic(error) && !(error as { errors?: unknown[] }).errors?.every(isUnknownTopic)) throw error;
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
  }
}
