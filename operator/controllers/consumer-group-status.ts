import { isDeepStrictEqual } from 'node:util';
import type { ConsumerGroup, ConsumerGroupSpec, ConsumerGroupStatus } from '../api/consumer-group.ts';
import { type Condition, type NewCondition, setCondition } from '../runtime/conditions.ts';
import type { ScalingDecision } from '../scaling/rule.ts';

/**
 * Where a poll of one ConsumerGroup ended, as the phases saw it: the one input of its status, so
 * the words users read can be tested without Kafka or an API server.
 */
export type ConsumerGroupOutcome =
  | { kind: 'targetNotFound'; targetName: string }
  | { kind: 'conflictingAutoscaler'; targetName: string; autoscaler: string; current: number }
  | { kind: 'lagUnavailable'; groupId: string; error: string; current: number }
  | {
      kind: 'polled';
      groupId: string;
      targetName: string;
      paused: boolean;
      /** Replicas before this poll, and after it: they differ only when this poll scaled. */
      current: number;
      replicas: number;
      members: number;
      decision: ScalingDecision;
      /** When lag was read, in epoch ms. */
      readAt: number;
    };

/** How stale lastLagReadTime may grow while nothing else in the status changes. */
const lagReadRefreshMs = 60_000;

/** The Consuming reasons of a group that does not consume as a whole: restarting consumers helps, more replicas do not. */
export const isGroupBroken = (reason: string | undefined): boolean => reason === 'NoActiveMembers' || reason === 'NoProgress';

const limitMessages = {
  MaxReplicas: (d: ScalingDecision, spec: ConsumerGroupSpec) => `lag asks for ${d.wanted} replicas; maxReplicas is ${spec.maxReplicas}`,
  PartitionCount: (d: ScalingDecision) =>
    `lag asks for ${d.wanted} replicas, but the topics have ${d.partitions.length} partitions and more consumers would sit idle (set allowIdleConsumers to lift this)`,
  MinReplicas: (_d: ScalingDecision, spec: ConsumerGroupSpec) => `lag needs fewer replicas; minReplicas is ${spec.minReplicas}`,
};

/** The Consuming condition: whether the group as a whole consumes, as the scaling rule judged it. */
export function consumingCondition(decision: ScalingDecision, groupId: string, targetName: string, replicas: number): NewCondition {
  const { state, members = 0, since } = decision.group;
  const sinceText = since === undefined ? '' : ` since ${new Date(since).toISOString()}`;
  const lagging = decision.partitions.filter((p) => p.lag > 0).length;
  switch (state) {
    case 'NoActiveMembers':
      return {
        type: 'Consuming',
        status: 'False',
        reason: 'NoActiveMembers',
        message: `group ${groupId} has no members${sinceText} while ${targetName} runs ${replicas} replicas: its consumers crashed, hang or cannot reach Kafka (lag ${decision.totalLag}; check their logs and liveness)`,
      };
    case 'NoProgress':
      return {
        type: 'Consuming',
        status: 'False',
        reason: 'NoProgress',
        message: `group ${groupId} has ${members} members, but none of its ${lagging} partitions with lag has moved${sinceText} (lag ${decision.totalLag})`,
      };
    case 'Joining':
      return { type: 'Consuming', status: 'Unknown', reason: 'MembersJoining', message: `group ${groupId} has no members yet${sinceText}` };
    case 'NoReplicas':
      return { type: 'Consuming', status: 'Unknown', reason: 'NoReplicas', message: `${targetName} runs no replicas, so nothing consumes` };
    case 'Unknown':
      return { type: 'Consuming', status: 'Unknown', reason: 'MembersUnknown', message: `members of group ${groupId} were not read` };
    default:
      return {
        type: 'Consuming',
        status: 'True',
        reason: 'MembersConsuming',
        message: `group ${groupId} has ${members} member${members === 1 ? '' : 's'}`,
      };
  }
}

/** Ready, Consuming, Active, ScalingLimited and Stalled after a poll that read lag. */
function polledConditions(spec: ConsumerGroupSpec, outcome: Extract<ConsumerGroupOutcome, { kind: 'polled' }>): NewCondition[] {
  const { decision, groupId, targetName, paused, current, readAt } = outcome;
  // Judged against the replicas that ran while the group was read, not those just asked for.
  const consuming = consumingCondition(decision, groupId, targetName, current);
  const broken = isGroupBroken(consuming.reason);
  return [
    paused
      ? { type: 'Ready', status: 'True', reason: 'Paused', message: 'scaling is paused; lag is still reported' }
      : broken
        ? { type: 'Ready', status: 'False', reason: consuming.reason, message: consuming.message }
        : {
            type: 'Ready',
            status: 'True',
            reason: 'Scaling',
            message: `reading lag every ${spec.pollIntervalSeconds} s and scaling ${targetName}`,
          },
    consuming,
    decision.active
      ? {
          type: 'Active',
          status: 'True',
          reason: 'LagAboveActivation',
          message: `lag ${decision.scalingLag} is above ${spec.activationLagThreshold}`,
        }
      : {
          type: 'Active',
          status: 'False',
          reason: 'LagAtOrBelowActivation',
          message: `lag ${decision.scalingLag} is at or below ${spec.activationLagThreshold}`,
        },
    decision.limitedBy
      ? { type: 'ScalingLimited', status: 'True', reason: decision.limitedBy, message: limitMessages[decision.limitedBy](decision, spec) }
      : { type: 'ScalingLimited', status: 'False', reason: 'WithinBounds', message: `${decision.desired} replicas is within the bounds` },
    decision.stalled.length > 0
      ? {
          type: 'Stalled',
          status: 'True',
          reason: 'CommittedOffsetNotMoving',
          message: `not counted for scaling (more replicas cannot help): ${decision.stalled.map((p) => `${p.topic}/${p.partition} (lag ${p.lag}, since ${new Date(p.stalledSince ?? readAt).toISOString()})`).join(', ')}`,
        }
      : broken
        ? {
            type: 'Stalled',
            status: 'False',
            reason: consuming.reason,
            message: 'no single partition is stalled: the whole group is not consuming (see Consuming)',
          }
        : { type: 'Stalled', status: 'False', reason: 'Progressing', message: 'every partition with lag is being consumed' },
  ];
}

/** The status fields an outcome sets, and its conditions in the order they are set. */
function statusOf(
  group: ConsumerGroup,
  outcome: ConsumerGroupOutcome,
): { fields: Partial<ConsumerGroupStatus>; conditions: NewCondition[] } {
  switch (outcome.kind) {
    case 'targetNotFound':
      return {
        fields: {},
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'TargetNotFound',
            message: `${outcome.targetName} does not exist; nothing is scaled until it does`,
          },
        ],
      };
    case 'conflictingAutoscaler':
      return {
        fields: { currentReplicas: outcome.current },
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ConflictingAutoscaler',
            message: `HorizontalPodAutoscaler ${outcome.autoscaler} also scales ${outcome.targetName}; remove one of them (this ConsumerGroup leaves it alone)`,
          },
        ],
      };
    case 'lagUnavailable':
      return {
        fields: { currentReplicas: outcome.current, desiredReplicas: outcome.current },
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'LagUnavailable',
            message: `cannot read lag of group ${outcome.groupId} from Kafka (${outcome.error}); holding ${outcome.current} replicas`,
          },
        ],
      };
    case 'polled': {
      const { decision, readAt } = outcome;
      const lastScaleTime = outcome.replicas !== outcome.current ? new Date(readAt).toISOString() : group.status?.lastScaleTime;
      return {
        fields: {
          groupId: outcome.groupId,
          totalLag: decision.totalLag,
          partitions: decision.partitions.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            lag: p.lag,
            endOffset: p.endOffset,
            ...(p.committedOffset === null ? {} : { committedOffset: p.committedOffset }),
            ...(p.stalledSince === undefined ? {} : { stalledSince: new Date(p.stalledSince).toISOString() }),
          })),
          currentReplicas: outcome.replicas,
          desiredReplicas: decision.desired,
          activeMembers: outcome.members,
          lastLagReadTime: new Date(readAt).toISOString(),
          ...(lastScaleTime ? { lastScaleTime } : {}),
        },
        conditions: polledConditions(group.spec, outcome),
      };
    }
  }
}

/** The group's next status: its previous one with the outcome's fields and conditions, at this generation. */
export function consumerGroupStatus(group: ConsumerGroup, outcome: ConsumerGroupOutcome, now: Date): ConsumerGroupStatus {
  const { fields, conditions } = statusOf(group, outcome);
  const previous = group.status ?? {};
  let list = previous.conditions as Condition[] | undefined;
  for (const condition of conditions) list = setCondition(list, { ...condition, observedGeneration: group.metadata.generation }, now);
  return { ...previous, ...fields, observedGeneration: group.metadata.generation, conditions: list };
}

/**
 * Whether `next` is worth a write over `previous`. A poll that found everything as it was only
 * moves lastLagReadTime: written once a minute, not every poll, so a thousand idle groups do not
 * write their status every few seconds.
 */
export function worthWriting(previous: ConsumerGroupStatus, next: ConsumerGroupStatus): boolean {
  if (isDeepStrictEqual(next, previous)) return false;
  const { lastLagReadTime: readNow, ...rest } = next;
  const { lastLagReadTime: readBefore, ...restBefore } = previous;
  return !(
    readNow !== undefined &&
    readBefore !== undefined &&
    Date.parse(readNow) - Date.parse(readBefore) < lagReadRefreshMs &&
    isDeepStrictEqual(rest, restBefore)
  );
}
