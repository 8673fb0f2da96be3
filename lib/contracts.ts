import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type CloudEvent, EnvelopeError, fromKafkaRecord, type KafkaRecord, type ReceivedRecord, toKafkaRecord } from './cloudevents.ts';
import { traceparentOf } from './tracing.ts';

/**
 * An event contract: one CloudEvents type, the topic it travels on and the schema of its data.
 * The producer validates before it writes, every consumer after it reads, and the JSON Schema
 * (make contracts) is what other teams read. A type never changes incompatibly: a breaking change
 * is a new `.vN` type (services/contracts.test.ts holds every type to its published schema).
 */
export interface Contract<S extends z.ZodType = z.ZodType> {
  /** Reverse-DNS CloudEvents type ending in a version, e.g. dev.eventide.catalog.event.created.v1. */
  type: string;
  /** ce_source, e.g. /catalog. */
  source: string;
  topic: string;
  data: S;
  /** What the event is about (ce_subject): the entity id. */
  subject: (data: z.output<S>) => string;
  /** The Kafka key, which decides order: all events of one key stay in order. Default: subject. */
  key?: (data: z.output<S>) => string;
  description: string;
}

const versioned = /^[a-z0-9]+(\.[a-z0-9-]+)+\.v[1-9][0-9]*$/;

export function defineContract<S extends z.ZodType>(contract: Contract<S>): Contract<S> {
  if (!versioned.test(contract.type)) throw new Error(`contract type ${contract.type} must be reverse-DNS and end in .vN`);
  return contract;
}

/** Data that breaks its contract, on either side; the message lists every problem. */
export class ContractError extends EnvelopeError {}

const problems = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');

export interface EventMeta {
  id?: string;
  time?: Date;
  /** The cause's W3C traceparent (e.g. the request's header); with tracing on, the active span's wins. */
  traceparent?: string;
}

/** The record to publish for `data`, validated against the contract first. */
export function encodeEvent<S extends z.ZodType>(
  contract: Contract<S>,
  data: z.input<S>,
  meta: EventMeta = {},
): KafkaRecord & { topic: string } {
  const parsed = contract.data.safeParse(data);
  if (!parsed.success) throw new ContractError(`${contract.type}: the data breaks its contract: ${problems(parsed.error)}`);
  const value = parsed.data as z.output<S>;
  // The span that caused the event (a request, a handled event) when tracing is on; else what the caller passed on.
  const traceparent = traceparentOf() ?? meta.traceparent;
  const event: CloudEvent = {
    id: meta.id ?? randomUUID(),
    type: contract.type,
    source: contract.source,
    subject: contract.subject(value),
    time: meta.time ?? new Date(),
    data: value,
    ...(traceparent ? { traceparent } : {}),
  };
  return { topic: contract.topic, ...toKafkaRecord(event, (contract.key ?? contract.subject)(value)) };
}

export type DecodedEvent<T = unknown> = CloudEvent<T> & { key: string; contract: Contract };

/** The contracts a consumer understands; decoding a record checks its envelope, type and data. */
export class ContractRegistry {
  private readonly byType: Map<string, Contract>;

  constructor(contracts: readonly Contract[]) {
    this.byType = new Map(contracts.map((c) => [c.type, c]));
  }

  decode(record: ReceivedRecord): DecodedEvent {
    const event = fromKafkaRecord(record);
    const contract = this.byType.get(event.type);
    if (!contract) throw new EnvelopeError(`unknown ce_type ${JSON.stringify(event.type)}`);
    const parsed = contract.data.safeParse(event.data);
    if (!parsed.success) throw new ContractError(`${event.type}: the data breaks its contract: ${problems(parsed.error)}`);
    return { ...event, data: parsed.data, contract };
  }
}

/** Narrows a decoded event to one contract's data. */
export function isEvent<S extends z.ZodType>(contract: Contract<S>, event: DecodedEvent): event is DecodedEvent<z.output<S>> {
  return event.type === contract.type;
}

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  [key: string]: unknown;
};

/** The contract as the JSON Schema other teams read (data as a consumer receives it). */
export function jsonSchemaOf(contract: Pick<Contract, 'type' | 'source' | 'topic' | 'description'> & { data: z.ZodType }): JsonSchema {
  return {
    $id: contract.type,
    title: contract.type,
    description: `${contract.description} Topic ${contract.topic}, source ${contract.source}.`,
    ...(z.toJSONSchema(contract.data, { io: 'output', unrepresentable: 'any' }) as JsonSchema),
  };
}

const typeName = (t: JsonSchema['type']) => (Array.isArray(t) ? [...t].sort().join('|') : t);

/**
 * What makes `next` unsafe where `previous` was published: events written under either must read
 * under the other. So: no required field removed, renamed or made optional, no new required
 * field, no changed type, no new enum value, no object closed to extra fields. Pure; an empty
 * list means compatible.
 */
export function incompatibilities(previous: JsonSchema, next: JsonSchema, at = 'data'): string[] {
  const found: string[] = [];
  if (previous.type !== undefined && typeName(previous.type) !== typeName(next.type))
    found.push(`${at}: type changed from ${typeName(previous.type)} to ${typeName(next.type) ?? 'unspecified'}`);
  if (previous.enum && (!next.enum || next.enum.some((v) => !previous.enum?.includes(v))))
    found.push(`${at}: the set of allowed values grew`);
  if (previous.additionalProperties !== false && next.additionalProperties === false)
    found.push(`${at}: closed to fields it accepted before`);
  const before = new Set(previous.required ?? []);
  const after = new Set(next.required ?? []);
  for (const name of before) {
    if (!next.properties?.[name]) found.push(`${at}.${name}: required field removed or renamed`);
    else if (!after.has(name)) found.push(`${at}.${name}: required field made optional`);
  }
  for (const name of after) if (!before.has(name)) found.push(`${at}.${name}: new required field`);
  for (const [name, schema] of Object.entries(previous.properties ?? {})) {
    const successor = next.properties?.[name];
    if (successor) found.push(...incompatibilities(schema, successor, `${at}.${name}`));
  }
  if (previous.items && next.items) found.push(...incompatibilities(previous.items, next.items, `${at}[]`));
  return found;
}
