import { Gauge } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import { keyOf, splitKey, type Watched } from '../../lib/watched.ts';
import type { ConsumerGroup, ConsumerGroupSpec, ConsumerGroupStatus } from '../api/consumer-group.ts';
import { consumerGroupNames } from '../api/crds.ts';
import type { PartitionOffsets } from '../api/kafka.ts';
import type { KafkaLag } from '../kafka/lag.ts';
import { kafkaMessage } from '../kafka/topics.ts';
import type { CustomResourceWriter } from '../kube/custom-resources.ts';
import type { ScaleTargets, TargetRef } from '../kube/scale-target.ts';
import type { Condition, NewCondition } from '../runtime/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { type EventRecorder, refTo } from '../runtime/events.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { memoryAfterRestart, type ScalingDecision, type ScalingMemory, scalingDecision } from '../scaling/rule.ts';
import {
  type ConsumerGroupOutcome,
  consumerGroupStatus,
  consumingCondition,
  isGroupBroken,
  worthWriting,
} from './consumer-group-status.ts';
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

type LagRead = { ok: true; value: [PartitionOffsets[], number] } | { ok: false; error: unknown };

/**
 * Every pollIntervalSeconds: reads the group's lag from Kafka, applies the scaling rule, and sets
 * the target's replicas through its scale subresource when the count should change. A poll is a
 * row of phases: load, find the target, read lag, run the scaling rule, scale, export metrics,
 * record a change in consuming, report. Each looks at what is now, so a poll repeated or missed
 * is harmless.
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
    const group = this.load(key);
    if (!group) return undefined;
    const poll = { requeueAfterMs: untilNextRound(this.now().getTime(), group.spec.pollIntervalSeconds * 1000) };
    await this.poll(key, group, log);
    return poll;
  }

  /** The group from the watch; when it is gone or going, what this controller kept about it goes too. */
  private load(key: string): ConsumerGroup | undefined {
    const { namespace, name } = splitKey(key);
    const group = this.deps.groups.get(namespace, name);
    if (group && !group.metadata.deletionTimestamp) return group;
    this.memory.delete(key);
    this.consumingReasons.delete(key);
    return undefined;
  }

  private async poll(key: string, group: ConsumerGroup, log: Logger): Promise<void> {
    const { spec } = group;
    const { namespace, name } = group.metadata;
    const groupId = spec.groupId ?? name;
    const target: TargetRef = { kind: spec.scaleTargetRef.kind, name: spec.scaleTargetRef.name };
    const targetName = `${target.kind} ${namespace}/${target.name}`;
    const paused = spec.paused || group.metadata.annotations?.['eventide.dev/paused'] === 'true';

    // Lag and replicas are read side by side: a poll waits for the slower of them, not their sum.
    const lagRead = this.readLag(groupId, spec.topics);
    const current = this.deps.targets.replicas(namespace, target);
    if (current === undefined) return this.report(group, { kind: 'targetNotFound', targetName });
    const autoscaler = this.deps.targets.competingAutoscaler(namespace, target);
    if (autoscaler) return this.report(group, { kind: 'conflictingAutoscaler', targetName, autoscaler, current });

    const now = this.now().getTime();
    const read = await lagRead;
    if (!read.ok) {
      // Never scale on missing data: hold what runs, say why, and look again next poll.
      log.warn({ err: read.error }, 'cannot read lag; holding replicas');
      return this.report(group, { kind: 'lagUnavailable', groupId, error: kafkaMessage(read.error), current });
    }
    const [offsets, members] = read.value;
    const decision = this.runScalingRule(key, spec, offsets, members, current, now, log);
    const replicas = paused ? current : await this.scale(group, target, targetName, current, decision, log);
    this.exportMetrics(namespace, name, groupId, decision, replicas);
    await this.recordConsumingChange(group, consumingCondition(decision, groupId, targetName, current));
    return this.report(group, { kind: 'polled', groupId, targetName, paused, current, replicas, members, decision, readAt: now });
  }

  /** Offsets and members of the group, as one result that never rejects. */
  private readLag(groupId: string, topics: string[]): Promise<LagRead> {
    return Promise.all([this.deps.lag.offsets(groupId, topics), this.deps.lag.members(groupId)]).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  }

  /** The scaling rule over this poll's offsets, with what it remembered from the polls before. */
  private runScalingRule(
    key: string,
    spec: ConsumerGroupSpec,
    offsets: PartitionOffsets[],
    members: number,
    current: number,
    now: number,
    log: Logger,
  ): ScalingDecision {
    const before = this.memory.get(key) ?? memoryAfterRestart(current, now);
    const { decision, memory } = scalingDecision(spec, offsets, before, now, { members, replicas: current });
    this.memory.set(key, memory);
    log.debug(
      { lag: decision.scalingLag, wanted: decision.wanted, desired: decision.desired, current, window: memory.recommendations.length },
      'polled',
    );
    return decision;
  }

  /** Sets the target's replicas when the decision differs from what runs; returns what runs after. */
  private async scale(
    group: ConsumerGroup,
    target: TargetRef,
    targetName: string,
    current: number,
    decision: ScalingDecision,
    log: Logger,
  ): Promise<number> {
    if (decision.desired === current) return current;
    await this.deps.targets.scale(group.metadata.namespace, target, decision.desired);
    const message = `${targetName}: ${current} → ${decision.desired} replicas; lag ${decision.scalingLag} over ${decision.partitions.length} partitions (lagThreshold ${group.spec.lagThreshold})`;
    log.info({ from: current, to: decision.desired, lag: decision.scalingLag }, 'scaled');
    await this.deps.events.record(
      refTo(consumerGroupNames.kind, group),
      'Normal',
      decision.desired > current ? 'ScaledUp' : 'ScaledDown',
      message,
    );
    return decision.desired;
  }

  private exportMetrics(namespace: string, name: string, groupId: string, decision: ScalingDecision, replicas: number): void {
    for (const p of decision.partitions)
      this.lagGauge.set({ namespace, group: groupId, topic: p.topic, partition: String(p.partition) }, p.lag);
    this.replicaGauge.set({ namespace, name, kind: 'current' }, replicas);
    this.replicaGauge.set({ namespace, name, kind: 'desired' }, decision.desired);
  }

  /**
   * One Warning Event when the group stops consuming as a whole, one Normal Event when it
   * consumes again: on the change of the Consuming condition's reason, not on every poll.
   */
  private async recordConsumingChange(group: ConsumerGroup, consuming: NewCondition): Promise<void> {
    // What this process last saw first: the cache may not show its own last status write yet.
    const key = keyOf(group);
    const previous =
      this.consumingReasons.get(key) ?? (group.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Consuming')?.reason;
    this.consumingReasons.set(key, consuming.reason);
    if (previous === consuming.reason) return;
    if (isGroupBroken(consuming.reason))
      await this.deps.events.record(refTo(consumerGroupNames.kind, group), 'Warning', consuming.reason, consuming.message);
    else if (isGroupBroken(previous) && consuming.reason === 'MembersConsuming')
      await this.deps.events.record(refTo(consumerGroupNames.kind, group), 'Normal', 'ConsumingAgain', consuming.message);
  }

  private async report(group: ConsumerGroup, outcome: ConsumerGroupOutcome): Promise<void> {
    const status = consumerGroupStatus(group, outcome, this.now());
    if (worthWriting(group.status ?? {}, status)) await this.deps.writer.patchStatus(group, status);
  }
}
