import { toInstant } from './time.ts';

/**
 * The change envelope on `catalog.events`: CloudEvents in Kafka binary mode (ARCHITECTURE.md,
 * "Event envelope"). Pure: the catalog builds it, the search indexer reads it.
 */
export const changeTopic = 'catalog.events';
export const eventSource = '/catalog';

export const changeTypes = {
  created: 'dev.eventide.catalog.event.created.v1',
  updated: 'dev.eventide.catalog.event.updated.v1',
  deleted: 'dev.eventide.catalog.event.deleted.v1',
} as const;
export type ChangeKind = keyof typeof changeTypes;
export type ChangeType = (typeof changeTypes)[ChangeKind];

export interface Change {
  /** Unique per change (ce_id). */
  id: string;
  kind: ChangeKind;
  /** The entity (event) id: the Kafka key and ce_subject. */
  entityId: string;
  /** The entity's version after the change. */
  version: number;
  time: Date;
  /** The entity after the change; for a delete, just {id, version}. */
  data: Record<string, unknown>;
  /** W3C traceparent of the request that made the change, if any. */
  traceparent?: string;
}

export interface KafkaRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export function toRecord(change: Change): KafkaRecord {
  return {
    key: change.entityId,
    value: JSON.stringify(change.data),
    headers: {
      ce_specversion: '1.0',
      ce_id: change.id,
      ce_type: changeTypes[change.kind],
      ce_source: eventSource,
      ce_subject: change.entityId,
      ce_time: change.time.toISOString(),
      'content-type': 'application/json',
      ...(change.traceparent ? { traceparent: change.traceparent } : {}),
    },
  };
}

export class EnvelopeError extends Error {}

/** Reads a record back into a change; anything malformed is an EnvelopeError naming what is wrong. */
export function fromRecord(record: { key: string | null; value: string | null; headers: Record<string, string | undefined> }): Change {
  const h = record.headers;
  if (h.ce_specversion !== '1.0') throw new EnvelopeError(`ce_specversion is ${JSON.stringify(h.ce_specversion)}, expected "1.0"`);
  const kind = (Object.keys(changeTypes) as ChangeKind[]).find((k) => changeTypes[k] === h.ce_type);
  if (!kind) throw new EnvelopeError(`unknown ce_type ${JSON.stringify(h.ce_type)}`);
  if (!h.ce_id) throw new EnvelopeError('ce_id is missing');
  if (!record.key || record.key !== h.ce_subject) throw new EnvelopeError('the record key and ce_subject must both name the event id');
  let data: unknown;
  try {
    data = JSON.parse(record.value ?? '');
  } catch {
    throw new EnvelopeError('the value is not JSON');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new EnvelopeError('the value is not a JSON object');
  const version = (data as { version?: unknown }).version;
  if (!Number.isSafeInteger(version) || (version as number) < 1) throw new EnvelopeError('the value has no positive integer version');
  const time = toInstant(h.ce_time ?? '');
  if (!time.ok) throw new EnvelopeError(`ce_time ${JSON.stringify(h.ce_time)} ${time.reason}`);
  return {
    id: h.ce_id,
    kind,
    entityId: record.key,
    version: version as number,
    time: new Date(time.value),
    data: data as Record<string, unknown>,
    ...(h.traceparent ? { traceparent: h.traceparent } : {}),
  };
}
