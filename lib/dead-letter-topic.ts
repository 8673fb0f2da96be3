/**
 * The Kafka side of dead letters: reading `<group>.dlq` up to the end offsets it had when the read
 * began (so a read terminates while consumers keep dead-lettering), and the redrive built on it —
 * each selected record republished to the topic in its `dlq-topic` header through an idempotent
 * producer with acks=all. The decisions are lib/dlq-redrive.ts; `make dlq-redrive` and the console
 * both run these.
 *
 * Reading commits nothing anywhere that matters: kafkajs has no group-less consumer (no assign()),
 * so the reader joins a group of its own, `eventide-dlq-redrive-<uuid>`, with auto-commit off, and
 * the group is deleted afterwards, so it leaves no trace in the group list or lag dashboards. The
 * dead-letter topic itself is left as it is.
 */
import { randomUUID } from 'node:crypto';
import { deadLetterTopic } from './consumer/dead-letter.ts';
import {
  type DeadLetterRecord,
  emptyReport,
  moveOrSkip,
  type RedriveFilter,
  type RedrivenRecord,
  type RedriveReport,
  tally,
} from './dlq-redrive.ts';
import { type KafkaSecurity, kafkaClient } from './kafka.ts';
import type { Logger } from './log.ts';

/** The prefix of the throwaway groups a read joins (an ACL can grant exactly these). */
export const readerGroupPrefix = 'eventide-dlq-redrive-';

export interface DeadLetterReadOptions {
  brokers: string[];
  /** TLS and SCRAM as the services use them (KAFKA_CA, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD); none for a plain listener. */
  security?: KafkaSecurity;
  /** The consumer group: its dead letters are in `<group>.dlq`. */
  group: string;
  log: Logger;
  /** Give up when no batch arrives for this long before every partition reached its end (default 30 s). */
  idleTimeoutMs?: number;
}

export interface RedriveOptions extends DeadLetterReadOptions {
  filter: RedriveFilter;
  dryRun: boolean;
}

export interface RedriveResult extends RedriveReport {
  /** The throwaway group the reader used (deleted afterwards); undefined when there was nothing to read. */
  readerGroup?: string;
}

type Kafka = ReturnType<typeof kafkaClient>;
type Admin = ReturnType<Kafka['admin']>;

/** Best effort: a group that committed nothing may already be gone, which is what we want anyway. */
export async function deleteReaderGroup(admin: Admin, groupId: string, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.deleteGroups([groupId]);
      return;
    } catch (error) {
      const codes = ((error as { groups?: { errorCode?: number; error?: { type?: string } }[] }).groups ?? []).map((g) => g.error?.type);
      if (codes.includes('GROUP_ID_NOT_FOUND')) return;
      if (attempt >= 5) {
        log.warn({ err: error, groupId }, 'could not delete the reader group; it holds no offsets and expires on its own');
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export interface DeadLetterScan {
  dlqTopic: string;
  /** Per partition, the end offset read up to (exclusive), taken when the read began. */
  endOffsets: Record<number, string>;
  /** The topics that exist (a redrive's targets must). */
  topics: Set<string>;
  /** The throwaway group the reader used (deleted afterwards); undefined when there was nothing to read. */
  readerGroup?: string;
}

/**
 * Reads `<group>.dlq` from its start to the end offsets it has now, handing each partition batch's
 * records to `visit` (once: a failing visit ends the read, it is never retried), then deletes the
 * reader's group. `begin` runs once the end offsets are known, before the first record.
 */
export async function scanDeadLetters(
  options: DeadLetterReadOptions,
  visit: (records: DeadLetterRecord[], scan: DeadLetterScan) => Promise<void>,
  kafka: Kafka = kafkaClient({ clientId: 'eventide-dlq-redrive', brokers: options.brokers, ...options.security, log: options.log }),
): Promise<DeadLetterScan> {
  const { group, log, idleTimeoutMs = 30_000 } = options;
  const dlqTopic = deadLetterTopic(group);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = new Set(await admin.listTopics());
    if (!topics.has(dlqTopic)) throw new Error(`topic ${dlqTopic} does not exist: is ${group} a consumer group with a dead-letter topic?`);
    // End offsets first: what arrives while we read is left for the next read, so this terminates.
    const offsets = await admin.fetchTopicOffsets(dlqTopic);
    const scan: DeadLetterScan = { dlqTopic, topics, endOffsets: Object.fromEntries(offsets.map((p) => [p.partition, p.high])) };
    const pending = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    if (pending.size === 0) return scan;

    const readerGroup = `${readerGroupPrefix}${randomUUID()}`;
    scan.readerGroup = readerGroup;
    const consumer = kafka.consumer({ groupId: readerGroup, maxBytesPerPartition: 2 * 1024 * 1024 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let failed = false;
        let idle: NodeJS.Timeout | undefined;
        const fail = (error: unknown) => {
          failed = true;
          clearTimeout(idle);
          reject(error);
        };
        const waitForProgress = () => {
          clearTimeout(idle);
          idle = setTimeout(() => {
            const short = [...pending].map(([p, end]) => `${p} (end ${end})`).join(', ');
            fail(new Error(`no records for ${idleTimeoutMs} ms with partition(s) ${short} not read to the end`));
          }, idleTimeoutMs);
        };
        waitForProgress();
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch, heartbeat }) => {
              const end = pending.get(batch.partition);
              if (failed || end === undefined) return;
              try {
                const records: DeadLetterRecord[] = [];
                for (const message of batch.messages) {
                  if (BigInt(message.offset) >= end) break;
                  records.push({
                    partition: batch.partition,
                    offset: message.offset,
                    key: message.key,
                    value: message.value,
                    headers: message.headers ?? {},
                  });
                }
                await visit(records, scan);
                await heartbeat();
                waitForProgress();
                if (BigInt(batch.lastOffset()) >= end - 1n) {
                  pending.delete(batch.partition);
                  consumer.pause([{ topic: dlqTopic, partitions: [batch.partition] }]);
                  if (pending.size === 0) {
                    clearTimeout(idle);
                    resolve();
                  }
                }
              } catch (error) {
                // Not rethrown: kafkajs would retry the batch and count (and maybe publish) it twice.
                fail(error);
              }
            },
          })
          .catch(fail);
      });
    } finally {
      await consumer.disconnect();
      await deleteReaderGroup(admin, readerGroup, log);
    }
    return scan;
  } finally {
    await admin.disconnect();
  }
}

/** A redrive: every record of the scan decided (lib/dlq-redrive.ts), the moves published per batch unless it is a dry run. */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { brokers, security = {}, filter, dryRun, log } = options;
  const kafka = kafkaClient({ clientId: 'eventide-dlq-redrive', brokers, ...security, log });
  const producer = dryRun ? undefined : kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let report: RedriveResult | undefined;
  await producer?.connect();
  try {
    const scan = await scanDeadLetters(
      options,
      async (records, { dlqTopic, endOffsets, topics }) => {
        report ??= emptyReport({ dlqTopic, dryRun, filter, endOffsets });
        const context = { filter, dlqTopic, topicExists: (topic: string) => topics.has(topic) };
        const out = new Map<string, RedrivenRecord[]>();
        for (const record of records) {
          const decision = moveOrSkip(record, context);
          tally(report, record, decision);
          if (decision.action === 'move') out.set(decision.record.topic, [...(out.get(decision.record.topic) ?? []), decision.record]);
        }
        if (producer && out.size > 0)
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...out].map(([topic, moved]) => ({
              topic,
              messages: moved.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
            })),
          });
      },
      kafka,
    );
    const result: RedriveResult = report ?? emptyReport({ dlqTopic: scan.dlqTopic, dryRun, filter, endOffsets: scan.endOffsets });
    if (scan.readerGroup) result.readerGroup = scan.readerGroup;
    return result;
  } finally {
    await producer?.disconnect();
  }
}
