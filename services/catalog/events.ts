import { z } from 'zod';
import { EnvelopeError, type KafkaRecord, type ReceivedRecord } from '../../lib/cloudevents.ts';
import { ContractRegistry, type DecodedEvent, defineContract, encodeEvent } from '../../lib/contracts.ts';
import { event } from './schema.ts';

/**
 * What the catalog publishes on `catalog.events`, keyed by event id so that every change of one
 * event stays in order in one partition: created and updated carry the event after the change,
 * deleted carries its id and the tombstone's version.
 */
export const changeTopic = 'catalog.events';
const source = '/catalog';
const subject = (data: { id: string }) => data.id;
// Open to fields added later, so that adding an optional field stays compatible with consumers.
const published = event.loose();

export const catalogContracts = {
  created: defineContract({
    type: 'dev.eventide.catalog.event.created.v1',
    source,
    topic: changeTopic,
    data: published,
    subject,
    description: 'An event was created; the data is the event as the catalog API answers it.',
  }),
  updated: defineContract({
    type: 'dev.eventide.catalog.event.updated.v1',
    source,
    topic: changeTopic,
    data: published,
    subject,
    description: 'An event was replaced or patched; the data is the event after the change.',
  }),
  deleted: defineContract({
    type: 'dev.eventide.catalog.event.deleted.v1',
    source,
    topic: changeTopic,
    data: z.looseObject({ id: z.uuid(), version: z.int().min(1).describe('the tombstone version') }),
    subject,
    description: 'An event was deleted.',
  }),
};
export const catalogEvents = new ContractRegistry(Object.values(catalogContracts));

export type ChangeKind = keyof typeof catalogContracts;

/** One change of one event, as the catalog writes it and the search indexer reads it. */
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

/** The change's record; its data must meet the kind's contract (a ContractError otherwise). */
export function toRecord(change: Change): KafkaRecord & { topic: string } {
  const { time, traceparent } = change;
  return encodeEvent(catalogContracts[change.kind], change.data as z.input<typeof published>, {
    id: change.id,
    time,
    ...(traceparent ? { traceparent } : {}),
  });
}

const kindOf = new Map(Object.entries(catalogContracts).map(([kind, c]) => [c.type, kind as ChangeKind]));

/** A decoded catalog event as a change; the key must name the event it is about. */
export function changeOf(decoded: DecodedEvent): Change {
  const kind = kindOf.get(decoded.type);
  if (!kind) throw new EnvelopeError(`unknown ce_type ${JSON.stringify(decoded.type)}`);
  if (decoded.key !== decoded.subject) throw new EnvelopeError('the record key and ce_subject must both name the event id');
  const data = decoded.data as { id: string; version: number };
  if (data.id !== decoded.subject) throw new EnvelopeError('ce_subject and the data must name the same event');
  return {
    id: decoded.id,
    kind,
    entityId: decoded.subject,
    version: data.version,
    time: decoded.time,
    data: decoded.data as Record<string, unknown>,
    ...(decoded.traceparent ? { traceparent: decoded.traceparent } : {}),
  };
}

/** Reads a record back into a change; anything malformed is an EnvelopeError naming what is wrong. */
export function fromRecord(record: ReceivedRecord): Change {
  return changeOf(catalogEvents.decode(record));
}
