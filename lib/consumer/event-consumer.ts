import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ContractRegistry, DecodedEvent } from '../contracts.ts';
import type { Health } from '../health.ts';
import type { Inbox } from '../inbox.ts';
import {
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  type KafkaSecurity,
  kafkaClient,
  Partitioners,
  type Producer,
} from '../kafka.ts';
import { batchTraces, failed, inSampledSpan, type Span, SpanKind, tracingOn } from '../tracing.ts';
import { deadLetterRecord, deadLetterTopic } from './dead-letter.ts';
import { defaultRetryPolicy, type RetryPolicy, retryOrDeadLetter } from './decision.ts';
import { ConsumerLiveness, type Health as LivenessHealth, type LivenessLimits } from './liveness.ts';
import { CoalescedCommits } from './offset-commits.ts';
import { RecordThrottle } from './throttle.ts';

/** A record the handler refuses for good (it is retried, then dead-lettered with this reason). */
export interface Rejection {
  reject: string;
}

export interface BatchContext {
  partition: number;
  /** Call during long work: the member keeps its place in the group, and it counts as progress. */
  heartbeat: () => Promise<void>;
}

/**
 * Handles the decoded events of one batch, in partition order. Returns one outcome per event
 * (undefined: done), or throws when a dependency is unavailable: then nothing of
 * the batch counts as done and it is retried with backoff.
 */
export type BatchHandler = ((events: DecodedEvent[], context: BatchContext) => Promise<(Rejection | undefined)[] | undefined>) & {
  /** The inbox it writes through (each-batch.ts eachBatchOnce), whose old ids the service's retention job deletes. */
  readonly inbox?: Inbox;
};

export interface EventConsumerOptions {
  brokers: string[];
  /** TLS and SASL for the listener (kafkaSecurity(config)); default none. */
  security?: KafkaSecurity;
  groupId: string;
  topic: string;
  contracts: ContractRegistry;
  handle: BatchHandler;
  log: Logger;
  /** What a record that cannot be handled says in its dead letter, before the detail. */
  unprocessable?: string;
  retry?: Partial<RetryPolicy>;
  /** Caps records per second for this process (see throttle.ts); unlimited when absent. */
  maxRecordsPerSecond?: number;
  /** When the consumer counts as dead (see liveness.ts); defaults there. */
  liveness?: LivenessLimits;
  /** Dependencies to check before joining (an index, a schema); retried with backoff. */
  prepare?: () => Promise<void>;
  /**
   * How many of its partitions a member handles at once; default 1. Keys map to disjoint rows, so
   * partitions need not wait for each other's round trips; order within a partition is unchanged.
   * More helps a handler that waits on a remote database, not a busy node: measured on two shared
   * cores (docs/benchmarks.md, "Each knob"), 4 cost 13–16 % more CPU per event than 1 (smaller
   * batches, more fetches) for the same throughput. Each takes a database connection while it
   * writes: keep it below the pool's size (20).
   */
  partitionsConcurrently?: number;
}

const headersOf = (message: KafkaMessage) => Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString()]));

/**
 * The consumer runtime: batches from one topic, each record decoded and checked against its
 * contract, handed to the service's handler; offsets committed through the last handled record
 * only after success. A dependency down pauses the partition and retries with backoff, committing
 * nothing; a record that cannot be handled goes, after maxAttempts, to `<groupId>.dlq` with
 * headers saying why, where and when (dead-letter.ts), and the partition moves on. stop() leaves
 * the group after the batch in flight. It also watches its own membership (see liveness.ts), so a
 * consumer that kafkajs gave up on is never a live, idle process.
 */
export class EventConsumer {
  private readonly options: EventConsumerOptions;
  private readonly policy: RetryPolicy;
  private readonly liveness: ConsumerLiveness;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly throttle?: RecordThrottle;
  private readonly commits: CoalescedCommits;
  private readonly attempts = new Map<string, number>();
  private readonly retries = new Map<number, number>();
  private lastProbeAt = 0;
  private stopping = false;
  private started = false;
  /** The last liveness check (see watch()); probes answer from it. */
  private lastHealth: LivenessHealth;
  readonly counts = { consumed: 0, handled: 0, deadLettered: 0, batches: 0, retries: 0 };

  constructor(options: EventConsumerOptions) {
    this.options = options;
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    if (options.maxRecordsPerSecond) this.throttle = new RecordThrottle(options.maxRecordsPerSecond);
    this.kafka = kafkaClient({ clientId: options.groupId, brokers: options.brokers, ...options.security, log: options.log });
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      // A replica killed without leaving holds its partitions until the session times out, and a
      // replacement cannot join before that: 10 s rather than 30 s (the chaos suite measures it).
      sessionTimeout: 10_000,
      heartbeatInterval: 2_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    this.commits = new CoalescedCommits((offsets) =>
      this.consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic: options.topic, partition, offset }))),
    );
    this.liveness = new ConsumerLiveness(Date.now(), options.liveness);
    this.lastHealth = this.liveness.health(Date.now());
    this.watchGroup();
  }

  /** The inbox the handler writes through, if it is eachBatchOnce's. */
  get inbox(): Inbox | undefined {
    return this.options.handle.inbox;
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
    return this.consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.batch(payload),
    });
  }

  /** Live: in the group and fetching (or working on a batch); ready: joined with an assignment. */
  health(): LivenessHealth {
    return this.liveness.health(Date.now());
  }

  /**
   * health(), except that a consumer out of its group because the broker does not answer is a
   * dependency outage — not ready, waiting — and not a dead process: a restart could not help.
   */
  async checkHealth(): Promise<LivenessHealth> {
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

  /**
   * Checks liveness every second and calls onDead when the consumer is not live, so that its
   * supervisor (the kubelet, or local mode's) starts a fresh one; `health` gets the probes:
   * live is "in the group and making progress", ready is "joined with its assignment".
   */
  watch(health: Health, onDead: (reason: string) => void): void {
    health.live('consumer', () => ({ ok: this.lastHealth.live, detail: this.lastHealth.reason }));
    health.ready('consumer', () => ({
      ok: this.started && this.lastHealth.ready,
      detail: this.started ? this.lastHealth.reason : 'starting',
    }));
    let checking = false;
    setInterval(async () => {
      if (!this.started || checking || this.stopping) return;
      checking = true;
      try {
        this.lastHealth = await this.checkHealth();
      } finally {
        checking = false;
      }
      if (!this.lastHealth.live) onDead(this.lastHealth.reason);
    }, 1_000).unref();
  }

  /** `<prefix>_consumed_total`, `_processed_total`, `_dead_lettered_total`, `_batches_total`, `_retries_total`. */
  registerMetrics(registry: Registry, prefix: string): void {
    const counts = this.counts;
    for (const [suffix, help, key] of [
      ['consumed_total', 'Records consumed.', 'consumed'],
      ['processed_total', 'Records handled.', 'handled'],
      ['dead_lettered_total', 'Records sent to the dead-letter topic.', 'deadLettered'],
      ['batches_total', 'Batches handled.', 'batches'],
      ['retries_total', 'Batches paused to be retried.', 'retries'],
    ] as const) {
      new Gauge({
        name: `${prefix}_${suffix}`,
        help,
        registers: [registry],
        collect() {
          this.set(counts[key]);
        },
      });
    }
  }

  /**
   * A dependency that is not there yet (the broker, the topic, whatever prepare checks) is "not
   * ready, retrying", never an exit: each attempt is logged and the next one backs off, up to 10 s.
   */
  async start(): Promise<void> {
    for (let delay = 100; !this.stopping; delay = Math.min(10_000, delay * 2)) {
      try {
        await this.options.prepare?.();
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
    this.started = true;
  }

  /**
   * Commits up to and including `offset` of the partition: explicit, since autoCommit is off.
   * While running, through the consumer (its commit retries, and a rebalance or an unknown member
   * reaches kafkajs's own recovery), together with the other partitions' commits of the same turn
   * (offset-commits.ts). Once stop() has begun, kafkajs's consumer commit is a no-op,
   * which lost the commit of the batch SIGTERM let finish: that one goes through the batch.
   */
  private async commit(payload: EachBatchPayload, offset: string | undefined): Promise<void> {
    if (offset === undefined) return;
    const { topic } = this.options;
    const next = String(BigInt(offset) + 1n);
    const partition = payload.batch.partition;
    if (payload.isRunning()) return this.commits.commit(partition, next);
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] }).catch((error: unknown) => {
      // Leaving the group anyway: the next owner replays from the last commit.
      this.options.log.warn({ err: error, partition }, 'could not commit the last batch while stopping');
    });
  }

  private decode(message: KafkaMessage): { message: KafkaMessage; event?: DecodedEvent; problem?: string } {
    try {
      const event = this.options.contracts.decode({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers: headersOf(message),
      });
      return { message, event };
    } catch (error) {
      // Whatever the decoding throws, this record is the problem; it must not crash the consumer.
      return { message, problem: `${this.options.unprocessable ?? 'cannot decode'}: ${(error as Error).message}` };
    }
  }

  private async batch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning } = payload;
    if (batch.messages.length === 0) return;
    const parsed = (await this.allowed(batch.messages, heartbeat, isRunning)).map((m) => this.decode(m));
    if (!tracingOn() || parsed.length === 0) return this.handleBatch(payload, parsed);
    const { parent, links } = batchTraces(parsed.map((p) => p.message.headers?.traceparent?.toString()));
    // No record sampled: no batch span, and what the handler starts stays in the dropped trace.
    return inSampledSpan(
      `${this.options.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        parent,
        links,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': this.options.topic,
          'messaging.destination.partition.id': String(batch.partition),
          'messaging.consumer.group.name': this.options.groupId,
          'messaging.batch.message_count': parsed.length,
          'messaging.kafka.offset': Number(parsed[0]?.message.offset),
        },
      },
      (span) => this.handleBatch(payload, parsed, span),
    );
  }

  private async handleBatch(payload: EachBatchPayload, parsed: ReturnType<EventConsumer['decode']>[], span?: Span): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause } = payload;
    const partition = batch.partition;
    const valid = parsed.filter((p): p is { message: KafkaMessage; event: DecodedEvent } => p.event !== undefined);
    let outcomes: (Rejection | undefined)[] = [];
    try {
      if (valid.length > 0)
        outcomes =
          (await this.whileWaiting(
            this.options.handle(
              valid.map((p) => p.event),
              { partition, heartbeat },
            ),
            heartbeat,
          )) ?? [];
      if (outcomes.length > 0 && outcomes.length !== valid.length)
        throw new Error(`the handler answered ${outcomes.length} outcomes for ${valid.length} events`);
    } catch (error) {
      failed(span, error);
      return this.retryLater(partition, pause, (error as Error).message);
    }
    const problems = new Map<string, string>();
    for (const p of parsed) if (p.problem) problems.set(p.message.offset, p.problem);
    for (const [i, p] of valid.entries()) {
      const rejection = outcomes[i];
      if (rejection) problems.set(p.message.offset, rejection.reject);
    }

    // Everything before the first unprocessable record is done; that one is retried or dead-lettered.
    // The handler has returned, so this runs to the end even while stop() waits for it.
    let done: string | undefined;
    for (const { message } of parsed) {
      if (isStale()) return await this.commit(payload, done);
      const problem = problems.get(message.offset);
      const key = `${partition}/${message.offset}`;
      if (problem) {
        const attempts = (this.attempts.get(key) ?? 0) + 1;
        this.attempts.set(key, attempts);
        if (retryOrDeadLetter({ kind: 'unprocessable', attempts }, 0, this.policy).action === 'retry') {
          await this.commit(payload, done);
          return this.retryLater(
            partition,
            pause,
            `offset ${message.offset}: ${problem} (attempt ${attempts} of ${this.policy.maxAttempts})`,
          );
        }
        span?.addEvent('dead-lettered', { 'messaging.kafka.offset': Number(message.offset), reason: problem });
        try {
          await this.deadLetter(message, partition, problem, attempts);
        } catch (error) {
          // The dead-letter topic did not take it: nothing past `done` counts; back off, do not crash.
          await this.commit(payload, done);
          return this.retryLater(partition, pause, `could not dead-letter offset ${message.offset}: ${(error as Error).message}`);
        }
      } else {
        this.counts.handled++;
      }
      this.attempts.delete(key);
      this.counts.consumed++;
      resolveOffset(message.offset);
      done = message.offset;
    }
    await this.commit(payload, done);
    this.retries.delete(partition);
    this.counts.batches++;
    if (isRunning()) await heartbeat();
  }

  /**
   * Heartbeats while a slow dependency answers: a frozen one must not cost this member its place
   * in the group (the session times out after 10 s), and the wait counts as progress.
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
      // In slices: below one record a second the wait is longer than the session (10 s), and the
      // member must heartbeat through it to keep its partitions.
      await new Promise((r) => setTimeout(r, Math.min(waitMs, 2_000)));
      this.liveness.progressed(Date.now());
      await heartbeat();
    }
  }

  private async deadLetter(message: KafkaMessage, partition: number, reason: string, attempts: number): Promise<void> {
    await this.producer.send({
      topic: deadLetterTopic(this.options.groupId),
      acks: -1,
      messages: [
        deadLetterRecord(message, {
          topic: this.options.topic,
          partition,
          groupId: this.options.groupId,
          reason,
          attempts,
          time: new Date(),
        }),
      ],
    });
    this.counts.deadLettered++;
    this.options.log.warn({ partition, offset: message.offset, reason }, 'dead-lettered a record');
  }

  /** Pauses the partition and resumes it after the decision's backoff; nothing is committed. */
  private retryLater(partition: number, pause: () => () => void, why: string): void {
    const retries = this.retries.get(partition) ?? 0;
    const decision = retryOrDeadLetter({ kind: 'unavailable' }, retries, this.policy);
    const delay = decision.action === 'retry' ? decision.delayMs : 0;
    this.retries.set(partition, retries + 1);
    this.counts.retries++;
    this.options.log.warn({ partition, retryInMs: delay, why }, 'batch not handled; will retry');
    const resume = pause();
    setTimeout(resume, delay).unref();
  }

  /** Commits what was handled and leaves the group cleanly (a scale-down must not storm rebalances). */
  async stop(): Promise<void> {
    this.stopping = true;
    // A consumer that lost its broker may never finish leaving; the exit must not wait for it.
    const leave = (async () => {
      await this.consumer.disconnect();
      await this.producer.disconnect();
    })();
    await Promise.race([leave, new Promise((r) => setTimeout(r, 10_000).unref())]).catch(() => undefined);
  }
}
