/**
 * Dead letters, the names and the record: where a consumer group sets aside a record it cannot
 * handle, and the `dlq-*` headers that say why, where and when. The consumer runtime writes them,
 * the redrive reads them, the chart and the test kits create the topic: one spelling for all.
 */
import type { IHeaders, KafkaMessage } from '../kafka.ts';

/** The dead-letter topic of a consumer group. */
export function deadLetterTopic(groupId: string): string {
  return `${groupId}.dlq`;
}

/** What every dead-letter header's name starts with; a redrive drops them all. */
export const deadLetterHeaderPrefix = 'dlq-';

/** The headers a dead letter carries besides the original record's. */
export const deadLetterHeader = {
  reason: 'dlq-reason',
  topic: 'dlq-topic',
  partition: 'dlq-partition',
  offset: 'dlq-offset',
  group: 'dlq-group',
  attempts: 'dlq-attempts',
  time: 'dlq-time',
} as const;

/** Added to every redriven record: `<dlq topic>/<partition>/<offset>` of the record it came from. */
export const redrivenFromHeader = 'dlq-redriven-from';

export interface DeadLetterCause {
  /** Where the record was read: its topic, partition and the group that gave up on it. */
  topic: string;
  partition: number;
  groupId: string;
  reason: string;
  attempts: number;
  time: Date;
}

/** The dead letter of a record: its key, value and headers as they were, plus why, where and when. */
export function deadLetterRecord(
  message: KafkaMessage,
  cause: DeadLetterCause,
): { key: KafkaMessage['key']; value: KafkaMessage['value']; headers: IHeaders } {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [deadLetterHeader.reason]: cause.reason,
      [deadLetterHeader.topic]: cause.topic,
      [deadLetterHeader.partition]: String(cause.partition),
      [deadLetterHeader.offset]: message.offset,
      [deadLetterHeader.group]: cause.groupId,
      [deadLetterHeader.attempts]: String(cause.attempts),
      [deadLetterHeader.time]: cause.time.toISOString(),
    },
  };
}
