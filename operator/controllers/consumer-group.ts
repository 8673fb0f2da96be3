import { isDeepStrictEqual } from 'node:util';
import { Gauge } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import type { ConsumerGroup, ConsumerGroupSpec, ConsumerGroupStatus } from '../api/consumer-group.ts';
import { consumerGroupNames } from '../api/crds.ts';
import type { KafkaLag } from '../kafka/lag.ts';
import { kafkaMessage } from '../kafka/topics.ts';
import type { CustomResourceWriter } from '../kube/custom-resources.ts';
import type { ScaleTargets, TargetRef } from '../kube/scale-target.ts';
import { type Condition, setCondition } from '../runtime/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { type EventRecorder, refTo } from '../runtime/events.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { keyOf, splitKey, type Watched } from '../runtime/watched.ts';
import { memoryAfterRestart, type ScalingDecision, type ScalingMemory, scalingDecision } from '../scaling/rule.ts';
import { untilNextRound } from './poll-rounds.ts';

export interface ConsumerGroupControllerDeps {
  groups: Watched<ConsumerGroup>;
  lag: KafkaLag;
  targets: ScaleTargets;
  writer: CustomResourceWriter<ConsumerGroupSpec, ConsumerGroupStatus>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  now?: () => Date;
}

/** How stale lastLagReadTime may grow while nothing else in the status changes. */
const lagReadRefreshMs = 60_000;

type NewCondition = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

const limitMessages = {
  MaxReplicas: (d: ScalingDecision, spec: ConsumerGroupSpec) => `lag asks for ${d.wanted} replicas; maxReplicas is ${spec.maxReplicas}`,
  PartitionCount: (d: ScalingDecision) =>
    `lag asks for ${d.wanted} replicas, but the topics have ${d.partitions.length} partitions and more consumers would sit idle (set allowIdleConsumers to lift this)`,
  MinReplicas: (_d: ScalingDecision, spec: ConsumerGroupSpec) => `lag needs fewer replicas; minReplicas is ${spec.minReplicas}`,
};

/** The Consuming condition: whether the group as a whole consumes, as the scaling rule judged it. */
function consumingCondition(decision: ScalingDecision, groupId: string, targetName: string, replicas: number): NewCondition {
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

/**
 * Every pollIntervalSeconds: reads the group's lag from Kafka, applies the scaling rule, and sets
 * the target's replicas through its scale subresource when the count should change.
 */
export class ConsumerGroupController implements Reconciler {
  readonly name = 'consumer-group';
  private readonly deps: ConsumerGroupControllerDeps;
  private readonly now: () => Date;
  private readonly memory = new Map<string, ScalingMemory>();
  private readonly consumingReasons = new Map<string, string>();
  private readonly lagGauge: Gauge<'namespace' | 'group' | 'topic' | 'partition'>;
  private readonly replicaGauge: Gauge<'namespace' | 'name' | 'kind'>;

  constructor(deps: ConsumerGroupControllerDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    const registers = [deps.metrics.registry];
    this.lagGauge = new Gauge({
      name: 'eventide_consumer_group_lag',
      help: 'Lag per partition of a ConsumerGroup.',
      labelNames: ['namespace', 'group', 'topic', 'partition'],
      registers,
    });
    this.replicaGauge = new Gauge({
      name: 'eventide_consumer_group_replicas',
      help: 'Current and desired replicas of a ConsumerGroup (kind).',
      labelNames: ['namespace', 'name', 'kind'],
      registers,
    });
  }

  keys(): string[] {
    return this.deps.groups.list().map(keyOf);
  }

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitKey(key);
    const group = this.deps.groups.get(namespace, name);
    if (!group || group.metadata.deletionTimestamp) {
      this.memory.delete(key);
      this.consumingReasons.delete(key);
      return undefined;
    }
    const spec = group.spec;
    const poll = { requeueAfterMs: untilNextRound(this.now().getTime(), spec.pollIntervalSeconds * 1000) };
    const groupId = spec.groupId ?? name;
    const target: TargetRef = { kind: spec.scaleTargetRef.kind, name: spec.scaleTargetRef.name };
    const targetName = `${target.kind} ${namespace}/${target.name}`;
    const paused = spec.paused || group.metadata.annotations?.['eventide.dev/paused'] === 'true';

    // Lag and replicas are read side by side: a poll waits for the slower of them, not their sum.
    const lagRead = Promise.all([this.deps.lag.offsets(groupId, spec.topics), this.deps.lag.members(groupId)]).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const current = this.deps.targets.replicas(namespace, target);
    if (current === undefined) {
      await this.writeStatus(group, {}, [
        {
          type: 'Ready',
          status: 'False',
          reason: 'TargetNotFound',
          message: `${targetName} does not exist; nothing is scaled until it does`,
        },
      ]);
      return poll;
    }
    const hpa = this.deps.targets.competingAutoscaler(namespace, target);
    if (hpa) {
      await this.writeStatus(group, { currentReplicas: current }, [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ConflictingAutoscaler',
          message: `HorizontalPodAutoscaler ${hpa} also scales ${targetName}; remove one of them (this ConsumerGroup leaves it alone)`,
        },
      ]);
      return poll;
    }

    const now = this.now().getTime();
    const read = await lagRead;
    if (!read.ok) {
      const { error } = read;
      // Never scale on missing data: hold what runs, say why, and look again next poll.
      log.warn({ err: error }, 'cannot read lag; holding replicas');
      await this.writeStatus(group, { currentReplicas: current, desiredReplicas: current }, [
        {
          type: 'Ready',
          status: 'False',
          reason: 'LagUnavailable',
          message: `cannot read lag of group ${groupId} from Kafka (${kafkaMessage(error)}); holding ${current} replicas`,
        },
      ]);
      return poll;
    }
    const [offsets, members] = read.value;

    const before = this.memory.get(key) ?? memoryAfterRestart(current, now);
    const { decision, memory } = scalingDecision(spec, offsets, before, now, { members, replicas: current });
    this.memory.set(key, memory);
    log.debug(
      { lag: decision.scalingLag, wanted: decision.wanted, desired: decision.desired, current, window: memory.recommendations.length },
      'polled',
    );
    let replicas = current;
    let lastScaleTime = group.status?.lastScaleTime;
    if (!paused && decision.desired !== current) {
      await this.deps.targets.scale(namespace, target, decision.desired);
      replicas = decision.desired;
      lastScaleTime = new Date(now).toISOString();
      const message = `${targetName}: ${current} → ${decision.desired} replicas; lag ${decision.scalingLag} over ${decision.partitions.length} partitions (lagThreshold ${spec.lagThreshold})`;
      log.info({ from: current, to: decision.desired, lag: decision.scalingLag }, 'scaled');
      await this.deps.events.record(
        refTo(consumerGroupNames.kind, group),
        'Normal',
        decision.desired > current ? 'ScaledUp' : 'ScaledDown',
        message,
      );
    }

    for (const p of decision.partitions)
      this.lagGauge.set({ namespace, group: groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
    this.replicaGauge.set({ namespace, name, kind: 'current' }, replicas);
    this.replicaGauge.set({ namespace, name, kind: 'desired' }, decision.desired);

    const consuming = consumingCondition(decision, groupId, targetName, current);
    const groupBroken = consuming.reason === 'NoActiveMembers' || consuming.reason === 'NoProgress';
    await this.reportConsumingChange(group, consuming, groupBroken);
    const conditions: NewCondition[] = [
      paused
        ? { type: 'Ready', status: 'True', reason: 'Paused', message: 'scaling is paused; lag is still reported' }
        : groupBroken
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
            message: `not counted for scaling (more replicas cannot help): ${decision.stalled.map((p) => `${p.topic}/${p.partition} (lag ${p.lag}, since ${new Date(p.stalledSince ?? now).toISOString()})`).join(', ')}`,
          }
        : groupBroken
          ? {
              type: 'Stalled',
              status: 'False',
              reason: consuming.reason,
              message: 'no single partition is stalled: the whole group is not consuming (see Consuming)',
            }
          : { type: 'Stalled', status: 'False', reason: 'Progressing', message: 'every partition with lag is being consumed' },
    ];
    await this.writeStatus(
      group,
      {
        groupId,
        totalLag: decision.totalLag,
        partitions: decision.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          lag: p.lag,
          endOffset: p.endOffset,
          ...(p.committedOffset === null ? {} : { committedOffset: p.committedOffset }),
          ...(p.stalledSince === undefined ? {} : { stalledSince: new Date(p.stalledSince).toISOString() }),
        })),
        currentReplicas: replicas,
        desiredReplicas: decision.desired,
        activeMembers: members,
        lastLagReadTime: new Date(now).toISOString(),
        ...(lastScaleTime ? { lastScaleTime } : {}),
      },
      conditions,
    );
    return poll;
  }

  /**
   * One Warning Event when the group stops consuming as a whole, one Normal Event when it
   * consumes again: on the change of the Consuming condition's reason, not on every poll.
   */
  private async reportConsumingChange(group: ConsumerGroup, consuming: NewCondition, broken: boolean): Promise<void> {
    // What this process last saw first: the cache may not show its own last status write yet.
    const key = keyOf(group);
    const previous =
      this.consumingReasons.get(key) ?? (group.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Consuming')?.reason;
    this.consumingReasons.set(key, consuming.reason);
    if (previous === consuming.reason) return;
    const wasBroken = previous === 'NoActiveMembers' || previous === 'NoProgress';
    if (broken) await this.deps.events.record(refTo(consumerGroupNames.kind, group), 'Warning', consuming.reason, consuming.message);
    else if (wasBroken && consuming.reason === 'MembersConsuming')
      await this.deps.events.record(refTo(consumerGroupNames.kind, group), 'Normal', 'ConsumingAgain', consuming.message);
  }

  private async writeStatus(group: ConsumerGroup, fields: Partial<ConsumerGroupStatus>, conditions: NewCondition[]): Promise<void> {
    const previous = group.status ?? {};
    let list = previous.conditions as Condition[] | undefined;
    for (const condition of conditions)
      list = setCondition(list, { ...condition, observedGeneration: group.metadata.generation }, this.now());
    const status: ConsumerGroupStatus = { ...previous, ...fields, observedGeneration: group.metadata.generation, conditions: list };
    if (isDeepStrictEqual(status, previous)) return;
    // A poll that found everything as it was only moves lastLagReadTime: written once a minute,
    // not every poll, so a thousand idle groups do not write their status every few seconds.
    const { lastLagReadTime: readNow, ...rest } = status;
    const { lastLagReadTime: readBefore, ...restBefore } = previous;
    if (
      readNow !== undefined &&
      readBefore !== undefined &&
      Date.parse(readNow) - Date.parse(readBefore) < lagReadRefreshMs &&
      isDeepStrictEqual(rest, restBefore)
    )
      return;
    await this.deps.writer.patchStatus(group, status);
  }
}
