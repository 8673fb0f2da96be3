import { sleep } from '../../lib/backoff.ts';
import { type Admin, ConfigResourceTypes, type KafkaSecurity, kafkaClient } from '../../lib/kafka.ts';
import type { ObservedTopic } from '../api/kafka.ts';
import { Batcher, type BatcherOptions, eachOrAlone, type Outcome } from '../runtime/batcher.ts';

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

interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

type Metadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>['topics'][number];

const entries = (config: Record<string, string>) => Object.entries(config).map(([name, value]) => ({ name, value }));

export interface KafkaTopicsOptions {
  security?: KafkaSecurity;
  clientId?: string;
  /** Each Kafka request this client sends, by API name (Metadata, CreateTopics, …), for metrics and tests. */
  onRequest?: (api: string) => void;
  batch?: Pick<BatcherOptions<unknown>, 'lingerMs' | 'maxBatch'>;
}

/**
 * The topic operations the Topic controller needs, over one kafkajs admin connection. Each call
 * names one topic, but calls made within a few milliseconds of each other travel together: one
 * Metadata and one DescribeConfigs for up to 100 topics, one CreateTopics, one CreatePartitions,
 * one AlterConfigs (Strimzi's topic operator batches the same way).
 */
export class KafkaTopics {
  private readonly admin: Admin;
  private connected: Promise<void> | undefined;
  private readonly describes: Batcher<string, ObservedTopic | undefined>;
  private readonly creates: Batcher<NewTopic, void>;
  private readonly partitionAdds: Batcher<{ name: string; count: number }, void>;
  private readonly configSets: Batcher<{ name: string; config: Record<string, string> }, void>;

  constructor(brokers: string[], options: KafkaTopicsOptions = {}) {
    this.admin = kafkaClient({
      clientId: options.clientId ?? 'eventide-operator',
      brokers,
      ...options.security,
      retry: { retries: 2 },
    }).admin();
    const { onRequest } = options;
    if (onRequest) this.admin.on(this.admin.events.REQUEST, (event) => onRequest(event.payload.apiName));
    const batch = options.batch ?? {};
    this.describes = new Batcher((names) => this.describeMany(names), { ...batch, key: (name) => name, spanName: 'kafka describe topics' });
    this.creates = new Batcher((topics) => this.createMany(topics), { ...batch, key: (t) => t.name, spanName: 'kafka CreateTopics' });
    this.partitionAdds = new Batcher(
      (adds) =>
        eachOrAlone(
          adds,
          async (all) => {
            await (await this.ready()).createPartitions({ topicPartitions: all.map(({ name, count }) => ({ topic: name, count })) });
            return all.map(() => undefined);
          },
          (add) => this.addPartitionsAlone(add.name, add.count),
        ),
      { ...batch, key: (a) => a.name, spanName: 'kafka CreatePartitions' },
    );
    this.configSets = new Batcher(
      (sets) =>
        eachOrAlone(
          sets,
          async (all) => {
            await this.alterConfigs(all);
            return all.map(() => undefined);
          },
          async (one) => {
            await this.alterConfigs([one]);
          },
        ),
      { ...batch, key: (s) => s.name, spanName: 'kafka AlterConfigs' },
    );
  }

  private async ready(): Promise<Admin> {
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    await this.connected;
    return this.admin;
  }

  /** Partitions, replication factor and topic-level overrides; undefined when the topic does not exist. */
  describe(name: string): Promise<ObservedTopic | undefined> {
    return this.describes.call(name);
  }

  create(name: string, partitions: number, replicationFactor: number, config: Record<string, string>): Promise<void> {
    return this.creates.call({ name, partitions, replicationFactor, config });
  }

  addPartitions(name: string, count: number): Promise<void> {
    return this.partitionAdds.call({ name, count });
  }

  /**
   * Sets the topic's overrides to exactly `config`. kafkajs has no IncrementalAlterConfigs, so this
   * is AlterConfigs with the whole desired set: keys left out return to the broker default, which
   * is the same end state an incremental update of just the changed keys reaches.
   */
  setConfig(name: string, config: Record<string, string>): Promise<void> {
    return this.configSets.call({ name, config });
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

  private async describeMany(names: string[]): Promise<Outcome<ObservedTopic | undefined>[]> {
    const admin = await this.ready();
    const metadata = new Map<string, Metadata>();
    try {
      for (const topic of (await admin.fetchTopicMetadata({ topics: names })).topics) metadata.set(topic.name, topic);
    } catch (error) {
      // Kafka answers a Metadata request naming a missing topic with an error for the whole
      // request; the metadata of every topic tells which of these exist in one more request.
      if (!isUnknownTopic(error)) throw error;
      const wanted = new Set(names);
      for (const topic of (await admin.fetchTopicMetadata()).topics) if (wanted.has(topic.name)) metadata.set(topic.name, topic);
    }
    const existing = names.filter((name) => metadata.has(name));
    const overrides = new Map<string, Record<string, string>>();
    if (existing.length > 0) {
      const configs = await admin.describeConfigs({
        resources: existing.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
        includeSynonyms: false,
      });
      for (const resource of configs.resources)
        overrides.set(
          resource.resourceName,
          Object.fromEntries(
            resource.configEntries
              .filter((e) => (e as { configSource?: number }).configSource === topicOverride)
              .map((e) => [e.configName, e.configValue]),
          ),
        );
    }
    return names.map((name) => {
      const topic = metadata.get(name);
      if (!topic) return { ok: true, value: undefined };
      return {
        ok: true,
        value: {
          name,
          partitions: topic.partitions.length,
          replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
          config: overrides.get(name) ?? {},
        },
      };
    });
  }

  /** CreateTopics answers per topic: each caller gets its own topic's error, and "already exists" is success. */
  private async createMany(topics: NewTopic[]): Promise<Outcome<void>[]> {
    const admin = await this.ready();
    try {
      await admin.createTopics({
        topics: topics.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: entries(t.config),
        })),
        waitForLeaders: false,
      });
      await this.leadersOf(topics.map((t) => t.name));
      return topics.map(() => ({ ok: true, value: undefined }));
    } catch (error) {
      const perTopic = (error as { errors?: { topic?: string; type?: string }[] }).errors;
      if (!perTopic?.every((e) => typeof e.topic === 'string')) throw error;
      const outcomes: Outcome<void>[] = topics.map((t) => {
        const own = perTopic.filter((e) => e.topic === t.name && e.type !== 'TOPIC_ALREADY_EXISTS');
        return own.length === 0
          ? { ok: true, value: undefined }
          : { ok: false, error: Object.assign(new Error((error as Error).message), { errors: own }) };
      });
      await this.leadersOf(topics.filter((_, i) => outcomes[i]?.ok).map((t) => t.name));
      return outcomes;
    }
  }

  /**
   * Waits until Kafka names a leader for every partition of topics it has just created. kafkajs's
   * own wait gives up when the broker's metadata does not know a new topic yet (KRaft publishes it
   * a moment later), which failed whole batches of topics that had in fact been created.
   */
  private async leadersOf(names: string[], timeoutMs = 10_000): Promise<void> {
    if (names.length === 0) return;
    const admin = await this.ready();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (error) {
        const type = (error as { type?: string }).type;
        if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
      }
      if (Date.now() > deadline) throw new Error(`created, but Kafka had not named every partition's leader within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Alone after a refused batch: the batch may already have added them, which is success. */
  private async addPartitionsAlone(name: string, count: number): Promise<void> {
    const admin = await this.ready();
    try {
      await admin.createPartitions({ topicPartitions: [{ topic: name, count }] });
    } catch (error) {
      const [topic] = (await admin.fetchTopicMetadata({ topics: [name] })).topics;
      if ((topic?.partitions.length ?? 0) >= count) return;
      throw error;
    }
  }

  private async alterConfigs(sets: { name: string; config: Record<string, string> }[]): Promise<void> {
    await (await this.ready()).alterConfigs({
      validateOnly: false,
      resources: sets.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configEntries: entries(s.config) })),
    });
  }
}
