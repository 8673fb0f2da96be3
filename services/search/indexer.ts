import type { Client } from '@elastic/elasticsearch';
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { type Change, EnvelopeError, fromRecord } from '../lib/envelope.ts';
import { bulkAction, outcome } from './bulk.ts';
import { ensureIndex } from './index-admin.ts';
import { indexName } from './index-definition.ts';
import { DocumentThrottle } from './throttle.ts';

const { Kafka, logLevel } = kafkajs;

export interface IndexerOptions {
  brokers: string[];
  groupId: string;
  topic: string;
  es: Client;
  log: Logger;
  index?: string;
  /** Attempts before a message that cannot be processed goes to the dead-letter topic. */
  maxAttempts?: number;
  /** Caps documents per second for this process (see throttle.ts); unlimited when absent. */
  maxDocsPerSecond?: number;
}

const headersOf = (message: KafkaMessage) => Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));

/**
 * Consumes catalog changes in batches and indexes them with one bulk request per batch, versioned
 * externally so replays and stale changes never make a document older. Offsets are committed only
 * after Elasticsearch accepted the batch. Elasticsearch unavailable or overloaded: the partition
 * pauses and retries with capped backoff, committing nothing. A message that cannot be processed
 * goes, after maxAttempts, to `<groupId>.dlq` with headers saying why, where and when.
 */
export class Indexer {
  private readonly options: Required<Omit<IndexerOptions, 'log' | 'es' | 'maxDocsPerSecond'>> & Pick<IndexerOptions, 'log' | 'es'>;
  private readonly throttle?: DocumentThrottle;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly attempts = new Map<string, number>();
  private readonly backoff = new Map<number, number>();
  readonly counts = { consumed: 0, indexed: 0, deadLettered: 0, batches: 0 };

  constructor(options: IndexerOptions) {
    this.options = { index: indexName, maxAttempts: 3, ...options };
    if (options.maxDocsPerSecond) this.throttle = new DocumentThrottle(options.maxDocsPerSecond);
    const kafka = new Kafka({ clientId: options.groupId, brokers: options.brokers, logLevel: logLevel.NOTHING });
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      // A replica killed without leaving holds its partitions until the session times out, and a
      // replacement cannot join before that: 10 s rather than 30 s (the chaos suite measures it).
      sessionTimeout: 10_000,
      heartbeatInterval: 2_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  get deadLetterTopic(): string {
    return `${this.options.groupId}.dlq`;
  }

  async start(): Promise<void> {
    await ensureIndex(this.options.es, this.options.index);
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({ eachBatchAutoResolve: false, autoCommit: false, eachBatch: (payload) => this.batch(payload) });
  }

  /** Commits up to and including `offset` of the partition: explicit, since autoCommit is off. */
  private async commit(partition: number, offset: string | undefined): Promise<void> {
    if (offset === undefined) return;
    await this.consumer.commitOffsets([{ topic: this.options.topic, partition, offset: String(BigInt(offset) + 1n) }]);
  }

  private async batch({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const partition = batch.partition;
    const messages = await this.allowed(batch.messages, heartbeat, isRunning);
    const parsed: { message: KafkaMessage; change?: Change; problem?: string }[] = messages.map((message) => {
      try {
        return {
          message,
          change: fromRecord({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            headers: headersOf(message),
          }),
        };
      } catch (error) {
        if (error instanceof EnvelopeError) return { message, problem: `not a catalog change: ${error.message}` };
        throw error;
      }
    });
    const valid = parsed.filter((p): p is { message: KafkaMessage; change: Change } => p.change !== undefined);
    let items: { status: number; error?: { type?: string; reason?: string } }[] = [];
    try {
      if (valid.length > 0) {
        const response = await this.options.es.bulk({ operations: valid.flatMap((p) => bulkAction(p.change, this.options.index)) });
        items = response.items.map((item) => Object.values(item)[0] as { status: number; error?: { type?: string; reason?: string } });
      }
    } catch (error) {
      return this.retryLater(partition, pause, `Elasticsearch did not take the batch: ${(error as Error).message}`);
    }
    const problems = new Map<string, string>();
    for (const p of parsed) if (p.problem) problems.set(p.message.offset, p.problem);
    for (const [i, p] of valid.entries()) {
      const result = outcome(items[i] ?? { status: 500 }, p.change.kind);
      if (result.retriable) return this.retryLater(partition, pause, `Elasticsearch is overloaded: ${result.reason}`);
      if (!result.ok) problems.set(p.message.offset, `Elasticsearch refused the change: ${result.reason}`);
    }
    this.backoff.delete(partition);

    // Everything before the first unprocessable message is done; that one is retried or dead-lettered.
    let done: string | undefined;
    for (const { message } of parsed) {
      if (!isRunning() || isStale()) return this.commit(partition, done);
      const problem = problems.get(message.offset);
      if (problem) {
        const key = `${partition}/${message.offset}`;
        const attempts = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempts);
        if (attempts < this.options.maxAttempts) {
          await this.commit(partition, done);
          return this.retryLater(
            partition,
            pause,
            `offset ${message.offset}: ${problem} (attempt ${attempts} of ${this.options.maxAttempts})`,
          );
        }
        await this.deadLetter(message, partition, problem, attempts);
        this.attempts.delete(key);
      } else {
        this.counts.indexed++;
      }
      this.counts.consumed++;
      resolveOffset(message.offset);
      done = message.offset;
    }
    this.counts.batches++;
    await this.commit(partition, done);
    await heartbeat();
  }

  /** The head of the batch the throttle lets through now; the rest is fetched again later. */
  private async allowed(messages: KafkaMessage[], heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<KafkaMessage[]> {
    if (!this.throttle) return messages;
    for (;;) {
      const { granted, waitMs } = this.throttle.take(messages.length);
      if (granted > 0 || !isRunning()) return messages.slice(0, granted);
      await new Promise((r) => setTimeout(r, waitMs));
      await heartbeat();
    }
  }

  private async deadLetter(message: KafkaMessage, partition: number, reason: string, attempts: number): Promise<void> {
    await this.producer.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-reason': reason,
            'dlq-topic': this.options.topic,
            'dlq-partition': String(partition),
            'dlq-offset': message.offset,
            'dlq-group': this.options.groupId,
            'dlq-attempts': String(attempts),
            'dlq-time': new Date().toISOString(),
          },
        },
      ],
    });
    this.counts.deadLettered++;
    this.options.log.warn({ partition, offset: message.offset, reason }, 'dead-lettered a message');
  }

  /** Pauses the partition and resumes it after a capped, doubling delay; nothing is committed. */
  private retryLater(partition: number, pause: () => () => void, why: string): void {
    const delay = Math.min(10_000, (this.backoff.get(partition) ?? 100) * 2);
    this.backoff.set(partition, delay);
    this.options.log.warn({ partition, retryInMs: delay, why }, 'batch not indexed; will retry');
    const resume = pause();
    setTimeout(resume, delay).unref();
  }

  /** Commits what was indexed and leaves the group cleanly (a scale-down must not storm rebalances). */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
