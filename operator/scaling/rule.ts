/**
 * The scaling rule of a ConsumerGroup, as one pure function: offsets in, replica count out.
 * Nothing here does I/O; the controller feeds it what it read from Kafka and Kubernetes.
 */

import type { PartitionOffsets } from '../api/kafka.ts';

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
  /** Consecutive polls that found the group without members while replicas should run, and since when. */
  memberless?: { polls: number; since: number };
}

/** The group's members as Kafka reports them, beside the replicas the target should run. */
export interface GroupMembers {
  members: number;
  replicas: number;
}

/**
 * Whether the group as a whole consumes. A dead group (no members, or members that move no
 * partition) is a different problem from one stuck partition: restarting consumers helps it.
 * - Consuming: members present and progressing (or nothing to do);
 * - Joining: no members for fewer than stallAfterPolls polls (start-up, a rebalance);
 * - NoActiveMembers: no members for stallAfterPolls polls while replicas should run;
 * - NoProgress: members, but two or more partitions with lag and none of them moving;
 * - NoReplicas: the target runs no replicas, so no members are expected;
 * - Unknown: members were not read.
 */
export type GroupState = 'Consuming' | 'Joining' | 'NoActiveMembers' | 'NoProgress' | 'NoReplicas' | 'Unknown';

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
  group: { state: GroupState; members?: number; since?: number };
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
export function scalingDecision(
  spec: ScalingSpec,
  offsets: readonly PartitionOffsets[],
  memory: ScalingMemory,
  now: number,
  group?: GroupMembers,
): { decision: ScalingDecision; memory: ScalingMemory } {
  // Without members nothing can move, so no partition is "stalled": the group is what is wrong.
  const memberless = group !== undefined && group.members === 0 && group.replicas > 0;
  const memberlessPolls = memberless ? (memory.memberless?.polls ?? 0) + 1 : 0;
  const memberlessSince = memberless ? (memory.memberless?.since ?? now) : undefined;
  const progress: ScalingMemory['progress'] = {};
  const candidates = offsets.map((p) => {
    const lag = partitionLag(p, spec.offsetResetPolicy);
    const key = `${p.topic}/${p.partition}`;
    const before = memory.progress[key];
    const unchanged =
      !memberless && lag > 0 && before !== undefined && before.committedOffset === p.committedOffset ? before.unchangedPolls + 1 : 0;
    const since = unchanged > 0 && before ? before.since : now;
    if (lag > 0) progress[key] = { committedOffset: p.committedOffset, unchangedPolls: unchanged, since };
    return { p, lag, since, stuck: lag > 0 && unchanged >= spec.stallAfterPolls };
  });
  const lagging = candidates.filter((c) => c.lag > 0);
  // Members that move none of several lagging partitions are stuck consumers, not poison messages.
  const noProgress = group !== undefined && group.members > 0 && lagging.length >= 2 && lagging.every((c) => c.stuck);
  const partitions: PartitionLag[] = candidates.map(({ p, lag, since, stuck }) => ({
    topic: p.topic,
    partition: p.partition,
    lag,
    endOffset: p.endOffset,
    committedOffset: p.committedOffset,
    ...(stuck && !noProgress ? { stalledSince: since } : {}),
  }));
  const stalled = partitions.filter((p) => p.stalledSince !== undefined);
  let state: GroupState = 'Unknown';
  let stateSince: number | undefined;
  if (group && group.replicas === 0 && group.members === 0) state = 'NoReplicas';
  else if (memberless) {
    state = memberlessPolls >= spec.stallAfterPolls ? 'NoActiveMembers' : 'Joining';
    stateSince = memberlessSince;
  } else if (noProgress) {
    state = 'NoProgress';
    stateSince = Math.min(...lagging.map((c) => c.since));
  } else if (group) state = 'Consuming';
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
    decision: {
      partitions,
      totalLag,
      scalingLag,
      active,
      wanted,
      desired: recommended,
      limitedBy,
      stalled,
      group: { state, ...(group ? { members: group.members } : {}), ...(stateSince === undefined ? {} : { since: stateSince }) },
    },
    memory: {
      recommendations,
      progress,
      ...(memberless && memberlessSince !== undefined ? { memberless: { polls: memberlessPolls, since: memberlessSince } } : {}),
    },
  };
}

/**
 * After a restart the rule has no window yet: seed it with the replicas running now, so that a
 * restarted operator never scales down before a full window of fresh recommendations.
 */
export function memoryAfterRestart(currentReplicas: number, now: number): ScalingMemory {
  return { recommendations: [{ at: now, replicas: currentReplicas }], progress: {} };
}
