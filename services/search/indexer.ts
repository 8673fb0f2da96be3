import type { Client } from '@elastic/elasticsearch';
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumerLiveness, type Health, type LivenessLimits } from '../../lib/consumer-liveness.ts';
import { type Change, EnvelopeError, fromRecord } from '../../lib/envelope.ts';
import { type Kafka, kafkaClient } from '../../lib/kafka.ts';
import { bulkAction, outcome } from './bulk.ts';
import { ensureIndex } from './index-admin.ts';
import { indexName } from './index-definition.ts';
import { DocumentThrottle } from './throttle.ts';

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
  /** When the consumer counts as dead (see consumer-liveness.ts); defaults there. */
  liveness?: LivenessLimits;
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
  private readonly options: Required<Omit<IndexerOptions, 'log' | 'es' | 'maxDocsPerSecond' | 'liveness'>> &
    Pick<IndexerOptions, 'log' | 'es'>;
  private readonly liveness: ConsumerLiveness;
  private readonly kafka: Kafka;
  private lastProbeAt = 0;
  private stopping = false;
  private readonly throttle?: DocumentThrottle;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly attempts = new Map<string, number>();
  private readonly backoff = new Map<number, number>();
  readonly counts = { consumed: 0, indexed: 0, deadLettered: 0, batches: 0 };

  constructor(options: IndexerOptions) {
    this.options = { index: indexName, maxAttempts: 3, ...options };
    if (options.maxDocsPerSecond) this.throttle = new DocumentThrottle(options.maxDocsPerSecond);
    const kafka = kafkaClient({ clientId: options.groupId, brokers: options.brokers, log: options.log });
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      // A replica killed without leaving holds its partitions until the session times out, and a
      // replacement cannot join before that: 10 s rather than 30 s (the chaos suite measures it).
      sessionTimeout: 10_000,
      heartbeatInterval: 2_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.kafka = kafka;
    this.liveness = new ConsumerLiveness(Date.now(), options.liveness);
    this.watchGroup();
  }

  /**
   * Follows the consumer's membership from kafkajs's instrumentation events. A crash that kafkajs
   * will not restart leaves the process alive with no consumer at all — the silent failure after
   * a frozen broker — so it, like a long absence from the group, makes health() not live.
   */
  private watchGroup(): void {
    const { events } = this.consumer;
    const log = this.options.log;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      const partitions = Object.values(payload.memberAssignment).reduce((n, list) => n + list.length, 0);
      this.liveness.joinedGroup(Date.now(), partitions);
      log.info({ memberId: payload.memberId, partitions: payload.memberAssignment }, 'joined the consumer group');
    });
    this.consumer.on(events.FETCH, () => this.liveness.progressed(Date.now()));
    this.consumer.on(events.REBALANCING, () => this.liveness.leftGroup(Date.now()));
    this.consumer.on(events.CRASH, ({ payload }) => {
      const reason = `${payload.error.name}: ${payload.error.message}`;
      this.liveness.leftGroup(Date.now());
      if (payload.restart) {
        log.warn({ reason }, 'consumer crashed; kafkajs restarts it');
      } else {
        log.error({ reason }, 'consumer crashed and kafkajs will not restart it; running it again');
        void this.runAgain();
      }
    });
    // kafkajs stops the consumer before it reports a crash (and restarts it, or not): out of the group.
    this.consumer.on(events.STOP, () => this.liveness.leftGroup(Date.now()));
  }

  /**
   * kafkajs disconnects a consumer it gives up on but keeps its subscription, so it can run again.
   * Attempts back off; if none succeeds, liveness sees the consumer out of its group and the
   * process exits (once the broker answers), so this never leaves a process alive and idle.
   */
  private async runAgain(): Promise<void> {
    for (let delay = 1_000; !this.stopping; delay = Math.min(10_000, delay * 2)) {
      await new Promise((r) => setTimeout(r, delay));
      if (this.stopping) return;
      try {
        await this.consumer.connect();
        await this.run();
        return;
      } catch (error) {
        this.options.log.warn({ err: error, retryInMs: delay }, 'could not run the consumer again; retrying');
      }
    }
  }

  private run(): Promise<void> {
    return this.consumer.run({ eachBatchAutoResolve: false, autoCommit: false, eachBatch: (payload) => this.batch(payload) });
  }

  /** Live: in the group and fetching (or working on a batch); ready: joined with an assignment. */
  health(): Health {
    return this.liveness.health(Date.now());
  }

  /**
   * health(), except that a consumer out of its group because the broker does not answer is a
   * dependency outage — not ready, waiting — and not a dead process: a restart could not help.
   */
  async checkHealth(): Promise<Health> {
    const health = this.health();
    // Probed all the while the consumer is out of its group (every 5 s at most), so that the time
    // to rejoin counts from when the broker last did not answer, not from when the consumer left.
    if (health.ready || Date.now() - this.lastProbeAt < 5_000) return health;
    this.lastProbeAt = Date.now();
    const unreachable = await this.brokerUnreachable();
    if (!unreachable) return this.health();
    this.liveness.brokerUnreachable(Date.now());
    return { ...this.health(), reason: `Kafka does not answer (${unreachable}); waiting for it` };
  }

  private async brokerUnreachable(): Promise<string | undefined> {
    const admin = this.kafka.admin();
    const probe = (async () => {
      await admin.connect();
      await admin.describeCluster();
    })();
    try {
      await Promise.race([probe, new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5_000).unref())]);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      probe.catch(() => undefined);
      void admin.disconnect().catch(() => undefined);
    }
  }

  get deadLetterTopic(): string {
    return `${this.options.groupId}.dlq`;
  }

  /**
   * A dependency that is not there yet (Elasticsearch, the broker, the topic) is "not ready,
   * retrying", never an exit: each attempt is logged and the next one backs off, up to 10 s.
   */
  async start(): Promise<void> {
    for (let delay = 100; !this.stopping; delay = Math.min(10_000, delay * 2)) {
      try {
        await ensureIndex(this.options.es, this.options.index);
        await this.producer.connect();
        await this.consumer.connect();
        await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
        break;
      } catch (error) {
        this.options.log.warn({ err: error, retryInMs: delay }, 'dependencies not ready; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    if (this.stopping) return;
    this.liveness.starting(Date.now());
    await this.run();
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
        const response = await this.whileWaiting(
          this.options.es.bulk({ operations: valid.flatMap((p) => bulkAction(p.change, this.options.index)) }),
          heartbeat,
        );
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

  /**
   * Heartbeats while a slow dependency answers: a frozen Elasticsearch must not cost this member
   * its place in the group (the session times out after 10 s), and the wait counts as progress.
   */
  private async whileWaiting<T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    const beat = setInterval(() => {
      this.liveness.progressed(Date.now());
      heartbeat().catch(() => undefined);
    }, 2_000);
    try {
      return await work;
    } finally {
      clearInterval(beat);
    }
  }

  /** The head of the batch the throttle lets through now; the rest is fetched again later. */
  private async allowed(messages: KafkaMessage[], heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<KafkaMessage[]> {
    if (!this.throttle) return messages;
    for (;;) {
      const { granted, waitMs } = this.throttle.take(messages.length);
      if (granted > 0 || !isRunning()) return messages.slice(0, granted);
      await new Promise((r) => setTimeout(r, waitMs));
      this.liveness.progressed(Date.now());
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
    this.stopping = true;
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
