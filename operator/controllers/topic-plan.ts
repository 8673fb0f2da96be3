import type { ObservedTopic } from '../api/kafka.ts';

export interface DesiredTopic {
  partitions: number;
  replicationFactor: number;
  config: Record<string, string>;
}

export type TopicAction =
  | { kind: 'create'; partitions: number; replicationFactor: number; config: Record<string, string> }
  | { kind: 'addPartitions'; from: number; to: number }
  | { kind: 'setConfig'; config: Record<string, string>; changed: string[] };

export type BlockedReason = 'PartitionDecreaseNotSupported' | 'ReplicationFactorChangeNotSupported';

export interface TopicPlan {
  actions: TopicAction[];
  /** A change Kafka cannot make: reported, and Kafka is left untouched. */
  blocked?: { reason: BlockedReason; message: string };
}

/** Kafka configs are strings; the CRD lets users write numbers unquoted. */
export function desiredConfig(config: Record<string, string | number> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(config ?? {}).map(([key, value]) => [key, String(value)]));
}

/** Keys whose value differs, that are new, or that were removed (and return to the broker default). */
export function changedKeys(desired: Record<string, string>, observed: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(desired), ...Object.keys(observed)]);
  return [...keys].filter((key) => desired[key] !== observed[key]).sort();
}

/** The steps that make Kafka match the spec, or the reason the spec cannot be applied. */
export function planTopic(desired: DesiredTopic, observed: ObservedTopic | undefined): TopicPlan {
  if (!observed) {
    return {
      actions: [{ kind: 'create', partitions: desired.partitions, replicationFactor: desired.replicationFactor, config: desired.config }],
    };
  }
  if (desired.partitions < observed.partitions) {
    return {
      actions: [],
      blocked: {
        reason: 'PartitionDecreaseNotSupported',
        message: `Kafka cannot reduce partitions: topic ${observed.name} has ${observed.partitions}, the spec asks for ${desired.partitions}. Set partitions to ${observed.partitions} or more.`,
      },
    };
  }
  if (desired.replicationFactor !== observed.replicationFactor) {
    return {
      actions: [],
      blocked: {
        reason: 'ReplicationFactorChangeNotSupported',
        message: `Changing the replication factor of an existing topic is not supported: topic ${observed.name} has ${observed.replicationFactor}, the spec asks for ${desired.replicationFactor}.`,
      },
    };
  }
  const actions: TopicAction[] = [];
  if (desired.partitions > observed.partitions) actions.push({ kind: 'addPartitions', from: observed.partitions, to: desired.partitions });
  const changed = changedKeys(desired.config, observed.config);
  if (changed.length > 0) actions.push({ kind: 'setConfig', config: desired.config, changed });
  return { actions };
}

export interface TopicClaim {
  namespace: string;
  name: string;
  creationTimestamp: string;
}

/** Of several resources naming one Kafka topic, the oldest owns it (ties: by namespace/name). */
export function owner<T extends TopicClaim>(claims: readonly T[]): T | undefined {
  return [...claims].sort(
    (a, b) =>
      a.creationTimestamp.localeCompare(b.creationTimestamp) || `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
  )[0];
}
