/**
 * The last few records of each partition of a topic, for a person looking at it: read through a
 * throwaway group (deleted afterwards, as a dead-letter read does), each partition from
 * `end - perPartition` to the end offsets it had when the read began, bounded in time — what came
 * in by then is returned.
 */
import { randomUUID } from 'node:crypto';
import { deleteReaderGroup, readerGroupPrefix } from './dead-letter-topic.ts';
import type { DeadLetterRecord } from './dlq-redrive.ts';
import { type KafkaSecurity, kafkaClient } from './kafka.ts';
import type { Logger } from './log.ts';

export interface TopicTailOptions {
  brokers: string[];
  security?: KafkaSecurity;
  log: Logger;
  topic: string;
  /** Default 5. */
  perPartition?: number;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** Records as a dead-letter read hands them over (partition, offset, key, value, headers), newest first. */
export async function topicTail(options: TopicTailOptions): Promise<DeadLetterRecord[]> {
  const { topic, log, perPartition = 5, timeoutMs = 10_000 } = options;
  const kafka = kafkaClient({ clientId: 'eventide-topic-tail', brokers: options.brokers, ...options.security, log });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = (await admin.fetchTopicOffsets(topic))
      .filter((p) => BigInt(p.high) > BigInt(p.low))
      .map((p) => {
        const start = BigInt(p.high) - BigInt(perPartition);
        return { partition: p.partition, from: start > BigInt(p.low) ? start : BigInt(p.low), end: BigInt(p.high) };
      });
    if (wanted.length === 0) return [];
    const records: DeadLetterRecord[] = [];
    const readerGroup = `${readerGroupPrefix}${randomUUID()}`;
    const consumer = kafka.consumer({ groupId: readerGroup });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      const pending = new Map(wanted.map((w) => [w.partition, w]));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const range = pending.get(batch.partition);
              if (!range) return;
              for (const m of batch.messages)
                if (BigInt(m.offset) >= range.from && BigInt(m.offset) < range.end)
                  records.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} });
              if (BigInt(batch.lastOffset()) >= range.end - 1n) {
                pending.delete(batch.partition);
                consumer.pause([{ topic, partitions: [batch.partition] }]);
                if (pending.size === 0) done();
              }
            },
          })
          .then(() => {
            for (const w of wanted) consumer.seek({ topic, partition: w.partition, offset: String(w.from) });
          })
          .catch((error: unknown) => {
            clearTimeout(timer);
            reject(error);
          });
      });
    } finally {
      await consumer.disconnect();
      await deleteReaderGroup(admin, readerGroup, log);
    }
    return records.sort((a, b) => timeOf(b) - timeOf(a) || a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

const timeOf = (record: DeadLetterRecord) => Date.parse(String(record.headers.ce_time ?? '')) || 0;
