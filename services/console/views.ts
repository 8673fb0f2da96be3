/**
 * What each page shows, from a resource and what Kafka says of it: pure, so the rules for what is
 * highlighted (drift, a condition not True, a stalled partition) are tested without servers.
 */
import { deadLetterHeader } from '../../lib/consumer/dead-letter.ts';
import { type DeadLetterRecord, headerText } from '../../lib/dlq-redrive.ts';
import type { StatusCondition } from './group-timeline.ts';

export interface KafkaPartition {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  /** First offset still kept and the next offset to be written: their difference is what the partition holds. */
  earliest: string;
  latest: string;
}

interface Resource {
  metadata?: { name?: string; generation?: number };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const conditionsOf = (status: Record<string, unknown> | undefined): StatusCondition[] =>
  Array.isArray(status?.conditions) ? (status.conditions as StatusCondition[]) : [];
const numberOr = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

/** Conditions that are good when True (Ready, Consuming) and one that is bad when True (Stalled); the rest inform (Active, ScalingLimited). */
const goodWhenTrue = new Set(['Ready', 'Consuming']);
const badWhenTrue = new Set(['Stalled']);

/** Conditions worth a highlight: one that should be True and is not, or one that should not be and is. */
export const troubled = (conditions: StatusCondition[]): StatusCondition[] =>
  conditions.filter((c) => (goodWhenTrue.has(c.type) && c.status !== 'True') || (badWhenTrue.has(c.type) && c.status === 'True'));

export interface TopicView {
  name: string;
  topicName: string;
  ready: boolean;
  partitions: { spec: number; kafka?: number };
  replicationFactor: { spec?: number; kafka?: number };
  config: Record<string, string>;
  conditions: StatusCondition[];
  /** Sentences a person reads: what differs between the resource and Kafka, or why it is not Ready. */
  problems: string[];
  /** Undefined when Kafka could not be asked (the page says so). */
  kafka?: { partitions: KafkaPartition[]; messages: number };
}

export function topicView(topic: Resource, kafka: KafkaPartition[] | undefined): TopicView {
  const name = topic.metadata?.name ?? '';
  const spec = topic.spec ?? {};
  const status = topic.status ?? {};
  const conditions = conditionsOf(status);
  const topicName = typeof spec.topicName === 'string' ? spec.topicName : name;
  const wanted = numberOr(spec.partitions, 1);
  const problems: string[] = [];
  if (kafka && kafka.length === 0) problems.push(`the topic ${topicName} does not exist in Kafka`);
  if (kafka && kafka.length > 0 && kafka.length !== wanted)
    problems.push(`the resource asks for ${wanted} partitions, Kafka has ${kafka.length}`);
  const factor = typeof spec.replicationFactor === 'number' ? spec.replicationFactor : undefined;
  const kafkaFactor = kafka?.[0]?.replicas.length;
  if (factor !== undefined && kafkaFactor !== undefined && kafkaFactor !== factor)
    problems.push(`the resource asks for replication factor ${factor}, Kafka has ${kafkaFactor}`);
  for (const partition of kafka ?? []) {
    if (partition.leader < 0) problems.push(`partition ${partition.partition} has no leader`);
    else if (partition.isr.length < partition.replicas.length)
      problems.push(`partition ${partition.partition} has ${partition.isr.length} of ${partition.replicas.length} replicas in sync`);
  }
  for (const c of troubled(conditions)) problems.push(`${c.type} is ${c.status}: ${c.reason ?? ''}${c.message ? ` — ${c.message}` : ''}`);
  const observed = numberOr(status.observedGeneration, 0);
  if (topic.metadata?.generation !== undefined && observed < topic.metadata.generation)
    problems.push('the operator has not yet acted on the latest change of this resource');
  return {
    name,
    topicName,
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    partitions: { spec: wanted, kafka: kafka && kafka.length > 0 ? kafka.length : undefined },
    replicationFactor: { spec: factor, kafka: kafkaFactor },
    config: Object.fromEntries(Object.entries((spec.config as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, String(v)])),
    conditions,
    problems,
    kafka: kafka && { partitions: kafka, messages: kafka.reduce((sum, p) => sum + Number(BigInt(p.latest) - BigInt(p.earliest)), 0) },
  };
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
}

export interface GroupPartitionView {
  topic: string;
  partition: number;
  lag: number;
  endOffset?: number;
  committedOffset?: number;
  stalledSince?: string;
}

export interface GroupView {
  name: string;
  groupId: string;
  topics: string[];
  target: string;
  replicas: { current?: number; desired?: number; min?: number; max?: number };
  lagThreshold?: number;
  totalLag?: number;
  lastLagReadTime?: string;
  partitions: GroupPartitionView[];
  conditions: StatusCondition[];
  problems: string[];
  /** Undefined when Kafka could not be asked. */
  members?: GroupMember[];
}

export function groupView(group: Resource, members: GroupMember[] | undefined): GroupView {
  const name = group.metadata?.name ?? '';
  const spec = group.spec ?? {};
  const status = group.status ?? {};
  const conditions = conditionsOf(status);
  const target = (spec.scaleTargetRef as { kind?: string; name?: string } | undefined) ?? {};
  const partitions = (Array.isArray(status.partitions) ? (status.partitions as GroupPartitionView[]) : []).map((p) => ({ ...p }));
  const problems = troubled(conditions).map((c) => `${c.type} is ${c.status}: ${c.reason ?? ''}${c.message ? ` — ${c.message}` : ''}`);
  for (const p of partitions)
    if (p.stalledSince) problems.push(`${p.topic}/${p.partition} stalled since ${p.stalledSince} with lag ${p.lag}`);
  return {
    name,
    groupId: typeof spec.groupId === 'string' ? spec.groupId : name,
    topics: Array.isArray(spec.topics) ? (spec.topics as string[]) : [],
    target: `${target.kind ?? 'Deployment'}/${target.name ?? ''}`,
    replicas: {
      current: status.currentReplicas as number | undefined,
      desired: status.desiredReplicas as number | undefined,
      min: spec.minReplicas as number | undefined,
      max: spec.maxReplicas as number | undefined,
    },
    lagThreshold: spec.lagThreshold as number | undefined,
    totalLag: status.totalLag as number | undefined,
    lastLagReadTime: status.lastLagReadTime as string | undefined,
    partitions,
    conditions,
    problems,
    members,
  };
}

export interface DeadLetterView {
  partition: number;
  offset: string;
  reason: string;
  /** Where it was read before it was given up on: topic/partition@offset. */
  from: string;
  time?: string;
  attempts?: number;
  type?: string;
  /** From the record's W3C traceparent: its trace in Jaeger. */
  traceId?: string;
  /** The value's first characters, as text (never more: a dead letter may be large). */
  preview: string;
}

const previewChars = 200;
const traceparent = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** One record of `<group>.dlq` as the dead-letter page lists it. */
export function deadLetterView(record: DeadLetterRecord): DeadLetterView {
  const header = (name: string) => headerText(record.headers[name]);
  const value = record.value === null ? '' : record.value.toString();
  const attempts = Number(header(deadLetterHeader.attempts));
  const traceId = traceIdOf(header('traceparent'));
  return {
    partition: record.partition,
    offset: record.offset,
    reason: header(deadLetterHeader.reason) ?? '(no dlq-reason header)',
    from: `${header(deadLetterHeader.topic) ?? '?'}/${header(deadLetterHeader.partition) ?? '?'}@${header(deadLetterHeader.offset) ?? '?'}`,
    ...(header(deadLetterHeader.time) ? { time: header(deadLetterHeader.time) } : {}),
    ...(Number.isFinite(attempts) ? { attempts } : {}),
    ...(header('ce_type') ? { type: header('ce_type') } : {}),
    ...(traceId ? { traceId } : {}),
    preview: value.length > previewChars ? `${value.slice(0, previewChars)}…` : value,
  };
}

export interface RecordView {
  partition: number;
  offset: string;
  key: string;
  time?: string;
  type?: string;
  traceId?: string;
}

/** A record of a topic as the topic page lists it: where it is, what it is, its trace; not its value. */
export function recordView(record: DeadLetterRecord): RecordView {
  const header = (name: string) => headerText(record.headers[name]);
  const traceId = traceIdOf(header('traceparent'));
  return {
    partition: record.partition,
    offset: record.offset,
    key: record.key === null ? '' : record.key.toString(),
    ...(header('ce_time') ? { time: header('ce_time') } : {}),
    ...(header('ce_type') ? { type: header('ce_type') } : {}),
    ...(traceId ? { traceId } : {}),
  };
}

/** The trace id of a W3C traceparent, or undefined for a malformed or all-zero one. */
function traceIdOf(traceparentHeader: string | undefined): string | undefined {
  const id = traceparent.exec(traceparentHeader ?? '')?.[1];
  return id && id !== '0'.repeat(32) ? id : undefined;
}
