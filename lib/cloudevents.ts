import { toInstant } from './time.ts';

/**
 * CloudEvents 1.0 in Kafka binary mode: the attributes travel as `ce_*` headers, the data as the
 * JSON value. Pure, and for any source and type; what a type's data must look like is its
 * contract's business (contracts.ts).
 */
export interface CloudEvent<T = unknown> {
  /** Unique per event: what an inbox deduplicates on. */
  id: string;
  type: string;
  source: string;
  /** The entity the event is about. */
  subject: string;
  time: Date;
  data: T;
  /** W3C traceparent of the request that caused the event, if any. */
  traceparent?: string;
}

export interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** A record as a consumer sees it: key, value and headers may be missing. */
export interface ReceivedRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string | undefined>;
}

export class EnvelopeError extends Error {}

/** The event as a record; the key is the subject unless the producer orders by something else. */
export function toKafkaRecord(event: CloudEvent, key: string = event.subject): KafkaRecord {
  return {
    key,
    value: JSON.stringify(event.data),
    headers: {
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: event.type,
      ce_source: event.source,
      ce_subject: event.subject,
      ce_time: event.time.toISOString(),
      'content-type': 'application/json',
      ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    },
  };
}

/** Reads the envelope back; anything malformed is an EnvelopeError naming what is wrong. */
export function fromKafkaRecord(record: ReceivedRecord): CloudEvent<unknown> & { key: string } {
  const h = record.headers;
  if (h.ce_specversion !== '1.0') throw new EnvelopeError(`ce_specversion is ${JSON.stringify(h.ce_specversion)}, expected "1.0"`);
  if (!h.ce_id) throw new EnvelopeError('ce_id is missing');
  if (!h.ce_type) throw new EnvelopeError('ce_type is missing');
  if (!h.ce_source) throw new EnvelopeError('ce_source is missing');
  if (!h.ce_subject) throw new EnvelopeError('ce_subject is missing');
  if (!record.key) throw new EnvelopeError('the record has no key');
  const time = toInstant(h.ce_time ?? '');
  if (!time.ok) throw new EnvelopeError(`ce_time ${JSON.stringify(h.ce_time)} ${time.reason}`);
  let data: unknown;
  try {
    data = JSON.parse(record.value ?? '');
  } catch {
    throw new EnvelopeError('the value is not JSON');
  }
  return {
    id: h.ce_id,
    type: h.ce_type,
    source: h.ce_source,
    subject: h.ce_subject,
    time: new Date(time.value),
    data,
    key: record.key,
    ...(h.traceparent ? { traceparent: h.traceparent } : {}),
  };
}
