/**
 * The scaling rule of a ConsumerGroup, as one pure function: offsets in, replica count out.
 * Nothing here does I/O; the controller feeds it what it read from Kafka and Kubernetes.
 */

export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** The log end offset (high watermark). */
  endOffset: number;
  /** The log start offset (low watermark): where "earliest" starts. */
  startOffset: number;
  /** The group's committed offset, or null when it has committed none. */
  committedOffset: number | null;
}

export interface ScalingSpec {
  minReplicas: number;
  maxReplicas: number;
  lagThreshold: number;
  activationLagThreshold: number;
  scaleDownStabilizationSeconds: number;
  offsetResetPolicy: 'earliest' | 'latest';
  allowIdleConsumers: boolean;
  stallAfterPolls: number;
}

/** What the rule remembers between polls (per ConsumerGroup, in memory). */
export interface ScalingMemory {
  /** Recent recommendations, newest last, for the scale-down window. */
  recommendations: { at: number; replicas: number }[];
  /** Per partition with lag: the committed offset seen and since when it has not moved. */
  progress: Record<string, { committedOffset: number | null; unchangedPolls: number; since: number }>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
  endOffset: number;
  committedOffset: number | null;
  /** Set when the partition has lag but its committed offset has not moved for stallAfterPolls polls. */
  stalledSince?: number;
}

export type LimitReason = 'MaxReplicas' | 'PartitionCount' | 'MinReplicas';

export interface ScalingDecision {
  partitions: PartitionLag[];
  /** All lag, stalled partitions included: what the status reports. */
  totalLag: number;
  /** Lag that more replicas could work off: stalled partitions left out. */
  scalingLag: number;
  /** Above the activation threshold. */
  active: boolean;
  /** ceil(scalingLag / lagThreshold), before any bound. */
  wanted: number;
  /** After bounds and the scale-down window: the replicas to run. */
  desired: number;
  limitedBy?: LimitReason;
  stalled: PartitionLag[];
}

export const emptyMemory = (): ScalingMemory => ({ recommendations: [], progress: {} });

/** Lag of one partition; with no committed offset the group's reset policy decides. */
export function partitionLag(p: PartitionOffsets, policy: 'earliest' | 'latest'): number {
  if (p.committedOffset === null || p.committedOffset < 0) return policy === 'earliest' ? Math.max(0, p.endOffset - p.startOffset) : 0;
  return Math.max(0, p.endOffset - p.committedOffset);
}

/**
 * One poll: desired = ceil(lag / lagThreshold); at or below the activation threshold, minReplicas;
 * capped by maxReplicas and (unless idle consumers are allowed) the partition count; floored at
 * minReplicas. Up at once; down only to the highest recommendation of the stabilization window.
 * Partitions that have lag but whose committed offset has stopped moving are stalled: more
 * replicas cannot help a poison message or a stuck consumer, so their lag does not count.
 */
export function decide(
  spec: ScalingSpec,
  offsets: readonly PartitionOffsets[],
  memory: ScalingMemory,
  now: number,
): { decision: ScalingDecision; memory: ScalingMemory } {
  const progress: ScalingMemory['progress'] = {};
  const partitions: PartitionLag[] = offsets.map((p) => {
    const lag = partitionLag(p, spec.offsetResetPolicy);
    const key = `${p.topic}/${p.partition}`;
    const before = memory.progress[key];
    const unchanged = lag > 0 && before !== undefined && before.committedOffset === p.committedOffset ? before.unchangedPolls + 1 : 0;
    const since = unchanged > 0 && before ? before.since : now;
    if (lag > 0) progress[key] = { committedOffset: p.committedOffset, unchangedPolls: unchanged, since };
    const stalled = lag > 0 && unchanged >= spec.stallAfterPolls;
    return {
      topic: p.topic,
      partition: p.partition,
      lag,
      endOffset: p.endOffset,
      committedOffset: p.committedOffset,
      ...(stalled ? { stalledSince: since } : {}),
    };
  });
  const stalled = partitions.filter((p) => p.stalledSince !== undefined);
  const totalLag = partitions.reduce((sum, p) => sum + p.lag, 0);
  const scalingLag = totalLag - stalled.reduce((sum, p) => sum + p.lag, 0);
  const active = scalingLag > spec.activationLagThreshold;
  const wanted = active ? Math.ceil(scalingLag / spec.lagThreshold) : spec.minReplicas;

  const partitionCap = spec.allowIdleConsumers ? Number.POSITIVE_INFINITY : Math.max(1, offsets.length);
  const cap = Math.min(spec.maxReplicas, partitionCap);
  let recommended = Math.max(spec.minReplicas, Math.min(wanted, cap));
  let limitedBy: LimitReason | undefined;
  if (wanted > cap) limitedBy = spec.maxReplicas <= partitionCap ? 'MaxReplicas' : 'PartitionCount';
  else if (wanted < spec.minReplicas) limitedBy = 'MinReplicas';

  const windowStart = now - spec.scaleDownStabilizationSeconds * 1000;
  const recommendations = [...memory.recommendations.filter((r) => r.at > windowStart), { at: now, replicas: recommended }];
  // The window holds scale-downs back, but bounds changed since (a lower maxReplicas) apply at once.
  recommended = Math.max(spec.minReplicas, Math.min(cap, Math.max(...recommendations.map((r) => r.replicas))));

  return {
    decision: { partitions, totalLag, scalingLag, active, wanted, desired: recommended, limitedBy, stalled },
    memory: { recommendations, progress },
  };
}

/**
 * After a restart the rule has no window yet: seed it with the replicas running now, so that a
 * restarted operator never scales down before a full window of fresh recommendations.
 */
export function memoryAfterRestart(currentReplicas: number, now: number): ScalingMemory {
  return { recommendations: [{ at: now, replicas: currentReplicas }], progress: {} };
}
