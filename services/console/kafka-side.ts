/**
 * What Kafka says of a topic (leaders, replicas in sync, offsets) and of a group (its members),
 * through one admin client. Every call is bounded: a page waits for Kafka at most `timeoutMs` and
 * then shows the resource without the Kafka side, saying so.
 */

import { HttpProblem, withHeaders } from '../../lib/http/problem.ts';
import { type Admin, type KafkaSecurity, kafkaClient } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { topicTail } from '../../lib/topic-tail.ts';
import { type GroupMember, type KafkaPartition, type RecordView, recordView } from './views.ts';

const unknownTopic = (error: unknown) =>
  /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/i.test(String((error as Error)?.message ?? error));

export class KafkaSide {
  private readonly admin: Admin;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly connection: { brokers: string[]; security: KafkaSecurity };
  private connected: Promise<void> | undefined;

  constructor({
    brokers,
    security,
    log,
    timeoutMs = 3_000,
  }: { brokers: string[]; security: KafkaSecurity; log: Logger; timeoutMs?: number }) {
    this.admin = kafkaClient({
      clientId: 'console',
      brokers,
      ...security,
      log,
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
    }).admin();
    this.timeoutMs = timeoutMs;
    this.log = log;
    this.connection = { brokers, security };
  }

  /** The topic's partitions as Kafka has them; empty when the topic does not exist; undefined when Kafka does not answer in time. */
  partitions(topic: string): Promise<KafkaPartition[] | undefined> {
    return this.bounded(async () => {
      try {
        const [{ topics }, offsets] = await Promise.all([
          this.admin.fetchTopicMetadata({ topics: [topic] }),
          this.admin.fetchTopicOffsets(topic),
        ]);
        const byPartition = new Map(offsets.map((o) => [o.partition, o]));
        return (topics[0]?.partitions ?? [])
          .map((p) => ({
            partition: p.partitionId,
            leader: p.leader,
            replicas: p.replicas,
            isr: p.isr,
            earliest: byPartition.get(p.partitionId)?.low ?? '0',
            latest: byPartition.get(p.partitionId)?.high ?? '0',
          }))
          .sort((a, b) => a.partition - b.partition);
      } catch (error) {
        if (unknownTopic(error)) return [];
        throw error;
      }
    });
  }

  /** The group's members as its coordinator knows them; undefined when Kafka does not answer in time. */
  members(groupId: string): Promise<GroupMember[] | undefined> {
    return this.bounded(async () => {
      const { groups } = await this.admin.describeGroups([groupId]);
      return (groups[0]?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost }));
    });
  }

  /** The latest records of each partition (their metadata and trace, never their values); a 503 when Kafka does not answer. */
  async latest(topic: string): Promise<RecordView[]> {
    try {
      return (await topicTail({ ...this.connection, log: this.log, topic, perPartition: 5 })).map(recordView);
    } catch (error) {
      throw withHeaders(new HttpProblem(503, 'Service unavailable', `Kafka did not answer: ${(error as Error).message}`), {
        'Retry-After': '5',
      });
    }
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
  }

  private async bounded<T>(read: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    try {
      return await Promise.race([
        (async () => {
          this.connected ??= this.admin.connect().catch((error: unknown) => {
            this.connected = undefined;
            throw error;
          });
          await this.connected;
          return read();
        })().catch((error: unknown) => {
          this.log.warn({ err: error }, 'Kafka did not answer; showing the resources without it');
          return undefined;
        }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
