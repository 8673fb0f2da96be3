import pg from 'pg';
import type { Logger } from 'pino';
import { backoffMs } from './backoff.ts';
import { type KafkaSecurity, kafkaClient, Partitioners, type Producer } from './kafka.ts';
import { Outbox, type OutboxLocation } from './outbox.ts';
import { contextOfTraceparent, failed, type Span, SpanKind, sampled, startSpan, traceparentOfSpan, tracingOn } from './tracing.ts';

export interface RelayOptions extends OutboxLocation {
  /** Leave out to use pg's PG* environment variables. */
  databaseUrl?: string;
  brokers: string[];
  /** TLS and SASL for the listener (kafkaSecurity(config)); default none. */
  security?: KafkaSecurity;
  log: Logger;
  /** The Kafka client id; default `<table>-relay`. */
  clientId?: string;
  /** The advisory lock that elects one relay per outbox; default `eventide-outbox-relay:<table>`. */
  lockKey?: string;
  batchSize?: number;
  /** Look for unsent rows at least this often, even without a wake-up. */
  pollMs?: number;
  /**
   * After a wake-up, wait this long before reading, so that the commits of a burst leave in one
   * batch rather than one send each; default 2 ms.
   */
  lingerMs?: number;
  /** Sent rows are deleted after this long. */
  retentionMs?: number;
}

/**
 * The relay's span for one row: the child of the span that wrote it (the traceparent the row
 * stores), so a trace shows how long the record waited in the outbox; the record carries this
 * span's traceparent on to its consumers. Rows written without a sampled trace get none.
 */
function publishSpan(row: OutboxRow): Span | undefined {
  // A trace the sampler dropped gets no span: the record carries the writer's traceparent on as it is.
  if (!tracingOn() || !sampled(row.headers.traceparent)) return undefined;
  return startSpan(`${row.topic} publish`, {
    kind: SpanKind.PRODUCER,
    parent: contextOfTraceparent(row.headers.traceparent),
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'send',
      'messaging.destination.name': row.topic,
      'messaging.message.id': row.headers.ce_id ?? '',
      'messaging.kafka.message.key': row.key,
      'eventide.outbox.id': row.id,
    },
  });
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Publishes outbox rows to Kafka in id order and marks them sent. One relay runs at a time across
 * all replicas: it holds a PostgreSQL advisory lock on its own connection, and a replica that dies
 * loses the lock with its connection. One relay keeps every entity's changes in commit order
 * without per-key locking; its throughput is measured in bench/catalog. The producer is
 * idempotent with acks=all; a crash between send and mark resends a batch (duplicates of a
 * version are possible, gaps are not).
 */
export class OutboxRelay {
  private readonly options: Required<Omit<RelayOptions, 'log' | 'databaseUrl' | 'security' | 'table' | 'channel'>> &
    Pick<RelayOptions, 'log' | 'databaseUrl' | 'security'>;
  private readonly outbox: Outbox;
  private producer: Producer;
  private client: pg.Client | undefined;
  private running = false;
  private leader = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastPrune = 0;
  private connectionLost = false;
  private notified = false;

  constructor({ table, channel, ...options }: RelayOptions) {
    this.outbox = new Outbox({ table, channel });
    this.options = {
      batchSize: 500,
      pollMs: 1_000,
      lingerMs: 2,
      retentionMs: 7 * 24 * 3600_000,
      clientId: `${this.outbox.table}-relay`,
      lockKey: `eventide-outbox-relay:${this.outbox.table}`,
      ...options,
    };
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return kafkaClient({
      clientId: this.options.clientId,
      brokers: this.options.brokers,
      ...this.options.security,
      log: this.options.log,
    }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Named, so kafkajs does not warn on every start that its default changed in 2.0 (murmur2, as Java's).
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Rows were committed (relay-wakeup.ts: a call in the writer's process, or a NOTIFY from
   * another): read them after the linger, rather than at the next poll.
   */
  nudge(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Waits for `ms`, or less when a nudge (or stop) wakes the relay. */
  private sleep(ms: number): Promise<void> {
    // A NOTIFY that came while the relay was draining is for rows its SELECT may not have seen.
    if (!this.running) return Promise.resolve();
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolveSleep) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolveSleep();
      }, ms);
      this.wake = () => {
        this.notified = false;
        clearTimeout(timer);
        this.wake = undefined;
        if (!this.running || this.options.lingerMs <= 0) resolveSleep();
        else setTimeout(resolveSleep, this.options.lingerMs);
      };
    });
  }

  private async becomeLeader(): Promise<boolean> {
    // Bounded: a frozen or partitioned PostgreSQL must fail the drain (and cost the lock), not hang it.
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      keepAlive: true,
      query_timeout: 30_000,
      connectionTimeoutMillis: 10_000,
    });
    this.connectionLost = false;
    // A lost connection also loses the lock: note it, and start over as a candidate.
    client.on('error', () => {
      this.connectionLost = true;
    });
    client.on('end', () => {
      this.connectionLost = true;
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        this.options.lockKey,
      ]);
      if (!rows[0]?.locked) {
        await client.end();
        return false;
      }
      client.on('notification', () => this.nudge());
      await client.query(`LISTEN ${this.outbox.channel}`);
    } catch (error) {
      // A session left open here could hold the lock and keep every replica from relaying.
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (!this.leader) {
          this.leader = await this.becomeLeader();
          if (!this.leader) {
            await this.sleep(2_000);
            continue;
          }
          this.options.log.info({ table: this.outbox.table }, 'outbox relay: this replica relays');
          await this.producer.connect();
        }
        const sent = await this.drainOnce();
        failures = 0;
        await this.prune();
        if (sent < this.options.batchSize) await this.sleep(this.options.pollMs);
      } catch (error) {
        failures++;
        const delay = backoffMs(failures, { baseMs: 200, maxMs: 10_000 });
        this.options.log.warn({ err: error, retryInMs: delay }, 'outbox relay: publishing failed; rows stay unsent');
        if (this.connectionLost) await this.dropLeadership();
        // kafkajs' idempotent producer does not recover its producer id and sequence numbers after
        // a broker failure; a new producer starts a clean idempotent session.
        await this.producer.disconnect().catch(() => undefined);
        this.producer = this.newProducer();
        if (this.leader) await this.producer.connect().catch(() => undefined);
        await this.sleep(delay);
      }
    }
  }

  /** Publishes one batch of unsent rows; returns how many. */
  private async drainOnce(): Promise<number> {
    const client = this.client as pg.Client;
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, topic, key, value, headers FROM ${this.outbox.table} WHERE sent_at IS NULL ORDER BY id LIMIT $1`,
      [this.options.batchSize],
    );
    if (rows.length === 0) return 0;
    const spans = rows.map((row) => publishSpan(row));
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const [i, row] of rows.entries()) {
      const span = spans[i];
      const traceparent = span && traceparentOfSpan(span);
      const message = { key: row.key, value: row.value, headers: traceparent ? { ...row.headers, traceparent } : row.headers };
      byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), message]);
    }
    try {
      await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (error) {
      for (const span of spans) failed(span, error);
      throw error;
    } finally {
      for (const span of spans) span?.end();
    }
    await client.query(`UPDATE ${this.outbox.table} SET sent_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
    return rows.length;
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    await this.client?.query(`DELETE FROM ${this.outbox.table} WHERE sent_at < now() - $1::interval`, [
      `${Math.round(this.options.retentionMs / 1000)} seconds`,
    ]);
  }

  private async dropLeadership(): Promise<void> {
    this.leader = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Stops after the batch in flight, publishing what is pending once more, and lets the lock go. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (this.leader) await this.drainOnce().catch(() => 0);
    await this.dropLeadership();
    await this.producer.disconnect().catch(() => undefined);
  }
}
