import kafkajs, { type Producer } from 'kafkajs';
import pg from 'pg';
import type { Logger } from 'pino';

const { Kafka, logLevel } = kafkajs;
const relayLock = 'eventide-outbox-relay';

export interface RelayOptions {
  /** Leave out to use pg's PG* environment variables. */
  databaseUrl?: string;
  brokers: string[];
  log: Logger;
  batchSize?: number;
  /** Look for unsent rows at least this often, even without a NOTIFY. */
  pollMs?: number;
  /** Sent rows are deleted after this long. */
  retentionMs?: number;
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
 * all catalog replicas: it holds a PostgreSQL advisory lock on its own connection, and a replica
 * that dies loses the lock with its connection. One relay keeps every entity's changes in commit
 * order without per-key locking; its throughput is measured in bench/catalog. The producer is
 * idempotent with acks=all; a crash between send and mark resends a batch (duplicates of a
 * version are possible, gaps are not).
 */
export class OutboxRelay {
  private readonly options: Required<Omit<RelayOptions, 'log' | 'databaseUrl'>> & Pick<RelayOptions, 'log' | 'databaseUrl'>;
  private producer: Producer;
  private client: pg.Client | undefined;
  private running = false;
  private leader = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastPrune = 0;
  private connectionLost = false;

  constructor(options: RelayOptions) {
    this.options = { batchSize: 500, pollMs: 1_000, retentionMs: 7 * 24 * 3600_000, ...options };
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return new Kafka({ clientId: 'catalog-relay', brokers: this.options.brokers, logLevel: logLevel.NOTHING }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Waits for `ms`, or less when a NOTIFY (or stop) wakes the relay. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolveSleep) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolveSleep();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolveSleep();
      };
    });
  }

  private async becomeLeader(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    this.connectionLost = false;
    // A lost connection also loses the lock: note it, and start over as a candidate.
    client.on('error', () => {
      this.connectionLost = true;
    });
    client.on('end', () => {
      this.connectionLost = true;
    });
    await client.connect();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [relayLock]);
    if (!rows[0]?.locked) {
      await client.end();
      return false;
    }
    client.on('notification', () => this.wake?.());
    await client.query('LISTEN outbox');
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
          this.options.log.info('outbox relay: this replica relays');
          await this.producer.connect();
        }
        const sent = await this.drainOnce();
        failures = 0;
        await this.prune();
        if (sent < this.options.batchSize) await this.sleep(this.options.pollMs);
      } catch (error) {
        failures++;
        const delay = Math.min(10_000, 200 * 2 ** failures);
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
      'SELECT id, topic, key, value, headers FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1',
      [this.options.batchSize],
    );
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, OutboxRow[]>();
    for (const row of rows) byTopic.set(row.topic, [...(byTopic.get(row.topic) ?? []), row]);
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, batch]) => ({
        topic,
        messages: batch.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      })),
    });
    await client.query('UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
    return rows.length;
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune < 60_000) return;
    this.lastPrune = Date.now();
    await this.client?.query('DELETE FROM outbox WHERE sent_at < now() - $1::interval', [
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

/** Outbox backlog for /metrics: unsent rows and the age of the oldest. */
export async function outboxBacklog(pool: pg.Pool): Promise<{ unsent: number; oldestAgeSeconds: number }> {
  const { rows } = await pool.query<{ unsent: string; age: number | null }>(
    'SELECT count(*) AS unsent, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS age FROM outbox WHERE sent_at IS NULL',
  );
  return { unsent: Number(rows[0]?.unsent ?? 0), oldestAgeSeconds: rows[0]?.age ?? 0 };
}
