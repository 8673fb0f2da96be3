import { describe, expect, it } from 'vitest';
import type { ConsumerGroup, ConsumerGroupStatus } from '../api/consumer-group.ts';
import type { ScalingDecision } from '../scaling/rule.ts';
import { type ConsumerGroupOutcome, consumerGroupStatus, consumingCondition, worthWriting } from './consumer-group-status.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const now = new Date('2026-01-01T00:00:05Z');
const iso = (ms: number) => new Date(ms).toISOString();

const spec = {
  topics: ['orders'],
  scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'indexer' },
  minReplicas: 1,
  maxReplicas: 4,
  lagThreshold: 100,
  activationLagThreshold: 0,
  pollIntervalSeconds: 5,
  scaleDownStabilizationSeconds: 60,
  offsetResetPolicy: 'latest',
  allowIdleConsumers: false,
  stallAfterPolls: 6,
  paused: false,
} as ConsumerGroup['spec'];

const group = (status?: ConsumerGroupStatus): ConsumerGroup => ({
  apiVersion: 'eventide.dev/v1alpha1',
  kind: 'ConsumerGroup',
  metadata: { name: 'indexer', namespace: 'ns', generation: 3 },
  spec,
  ...(status ? { status } : {}),
});

const decision = (d: Partial<ScalingDecision> = {}): ScalingDecision => ({
  partitions: [
    { topic: 'orders', partition: 0, lag: 150, endOffset: 1150, committedOffset: 1000 },
    { topic: 'orders', partition: 1, lag: 0, endOffset: 10, committedOffset: null },
  ],
  totalLag: 150,
  scalingLag: 150,
  active: true,
  wanted: 2,
  desired: 2,
  stalled: [],
  group: { state: 'Consuming', members: 2 },
  ...d,
});

const polled = (o: Partial<Extract<ConsumerGroupOutcome, { kind: 'polled' }>> = {}): ConsumerGroupOutcome => ({
  kind: 'polled',
  groupId: 'indexer',
  targetName: 'Deployment ns/indexer',
  paused: false,
  current: 2,
  replicas: 2,
  members: 2,
  decision: decision(),
  readAt: t0,
  ...o,
});

/** type → [status, reason, message] of each condition in the status. */
const conditionsOf = (status: ConsumerGroupStatus) =>
  Object.fromEntries((status.conditions ?? []).map((c) => [c.type, [c.status, c.reason, c.message]]));

describe('consumingCondition', () => {
  it.each<[string, ScalingDecision['group'], string, string, string]>([
    ['members consuming', { state: 'Consuming', members: 1 }, 'True', 'MembersConsuming', 'group g has 1 member'],
    [
      'no members while replicas run',
      { state: 'NoActiveMembers', members: 0, since: t0 },
      'False',
      'NoActiveMembers',
      'group g has no members since 2026-01-01T00:00:00.000Z while Deployment ns/d runs 2 replicas: its consumers crashed, hang or cannot reach Kafka (lag 150; check their logs and liveness)',
    ],
    [
      'members that move nothing',
      { state: 'NoProgress', members: 2, since: t0 },
      'False',
      'NoProgress',
      'group g has 2 members, but none of its 1 partitions with lag has moved since 2026-01-01T00:00:00.000Z (lag 150)',
    ],
    ['joining', { state: 'Joining', members: 0 }, 'Unknown', 'MembersJoining', 'group g has no members yet'],
    ['no replicas', { state: 'NoReplicas', members: 0 }, 'Unknown', 'NoReplicas', 'Deployment ns/d runs no replicas, so nothing consumes'],
    ['members not read', { state: 'Unknown' }, 'Unknown', 'MembersUnknown', 'members of group g were not read'],
  ])('%s', (_what, state, status, reason, message) => {
    expect(consumingCondition(decision({ group: state }), 'g', 'Deployment ns/d', 2)).toEqual({
      type: 'Consuming',
      status,
      reason,
      message,
    });
  });
});

describe('consumerGroupStatus', () => {
  it.each<[string, ConsumerGroupOutcome, Partial<ConsumerGroupStatus>, Record<string, [string, string, string]>]>([
    [
      'a missing target',
      { kind: 'targetNotFound', targetName: 'Deployment ns/indexer' },
      {},
      { Ready: ['False', 'TargetNotFound', 'Deployment ns/indexer does not exist; nothing is scaled until it does'] },
    ],
    [
      'a HorizontalPodAutoscaler on the same target',
      { kind: 'conflictingAutoscaler', targetName: 'Deployment ns/indexer', autoscaler: 'hpa', current: 3 },
      { currentReplicas: 3 },
      {
        Ready: [
          'False',
          'ConflictingAutoscaler',
          'HorizontalPodAutoscaler hpa also scales Deployment ns/indexer; remove one of them (this ConsumerGroup leaves it alone)',
        ],
      },
    ],
    [
      'lag that cannot be read holds the replicas',
      { kind: 'lagUnavailable', groupId: 'indexer', error: 'Connection timeout', current: 3 },
      { currentReplicas: 3, desiredReplicas: 3 },
      { Ready: ['False', 'LagUnavailable', 'cannot read lag of group indexer from Kafka (Connection timeout); holding 3 replicas'] },
    ],
    [
      'a poll that scales nothing',
      polled(),
      {
        groupId: 'indexer',
        totalLag: 150,
        partitions: [
          { topic: 'orders', partition: 0, lag: 150, endOffset: 1150, committedOffset: 1000 },
          { topic: 'orders', partition: 1, lag: 0, endOffset: 10 },
        ],
        currentReplicas: 2,
        desiredReplicas: 2,
        activeMembers: 2,
        lastLagReadTime: iso(t0),
      },
      {
        Ready: ['True', 'Scaling', 'reading lag every 5 s and scaling Deployment ns/indexer'],
        Consuming: ['True', 'MembersConsuming', 'group indexer has 2 members'],
        Active: ['True', 'LagAboveActivation', 'lag 150 is above 0'],
        ScalingLimited: ['False', 'WithinBounds', '2 replicas is within the bounds'],
        Stalled: ['False', 'Progressing', 'every partition with lag is being consumed'],
      },
    ],
    [
      'a poll that scales records when',
      polled({ current: 1, replicas: 2 }),
      { currentReplicas: 2, desiredReplicas: 2, lastScaleTime: iso(t0) },
      {},
    ],
    [
      'paused: Ready says so, and lag is still reported',
      polled({ paused: true, current: 1, replicas: 1 }),
      { totalLag: 150, currentReplicas: 1, desiredReplicas: 2 },
      { Ready: ['True', 'Paused', 'scaling is paused; lag is still reported'] },
    ],
    [
      'lag at or below activation',
      polled({ decision: decision({ active: false, scalingLag: 0, totalLag: 0, wanted: 1, desired: 1 }) }),
      {},
      { Active: ['False', 'LagAtOrBelowActivation', 'lag 0 is at or below 0'] },
    ],
    [
      'held by maxReplicas',
      polled({ decision: decision({ wanted: 9, desired: 4, limitedBy: 'MaxReplicas' }) }),
      {},
      { ScalingLimited: ['True', 'MaxReplicas', 'lag asks for 9 replicas; maxReplicas is 4'] },
    ],
    [
      'held by the partition count',
      polled({ decision: decision({ wanted: 3, limitedBy: 'PartitionCount' }) }),
      {},
      {
        ScalingLimited: [
          'True',
          'PartitionCount',
          'lag asks for 3 replicas, but the topics have 2 partitions and more consumers would sit idle (set allowIdleConsumers to lift this)',
        ],
      },
    ],
    [
      'held by minReplicas',
      polled({ decision: decision({ wanted: 0, desired: 1, limitedBy: 'MinReplicas' }) }),
      {},
      { ScalingLimited: ['True', 'MinReplicas', 'lag needs fewer replicas; minReplicas is 1'] },
    ],
    [
      'a stalled partition is named, with since when',
      polled({
        decision: decision({
          stalled: [{ topic: 'orders', partition: 0, lag: 150, endOffset: 1150, committedOffset: 1000, stalledSince: t0 - 30_000 }],
        }),
      }),
      {},
      {
        Stalled: [
          'True',
          'CommittedOffsetNotMoving',
          'not counted for scaling (more replicas cannot help): orders/0 (lag 150, since 2025-12-31T23:59:30.000Z)',
        ],
      },
    ],
    [
      'a group without members is not Ready, and no single partition is stalled',
      polled({ members: 0, decision: decision({ group: { state: 'NoActiveMembers', members: 0, since: t0 } }) }),
      { activeMembers: 0 },
      {
        Ready: [
          'False',
          'NoActiveMembers',
          'group indexer has no members since 2026-01-01T00:00:00.000Z while Deployment ns/indexer runs 2 replicas: its consumers crashed, hang or cannot reach Kafka (lag 150; check their logs and liveness)',
        ],
        Stalled: ['False', 'NoActiveMembers', 'no single partition is stalled: the whole group is not consuming (see Consuming)'],
      },
    ],
  ])('%s', (_what, outcome, fields, conditions) => {
    const status = consumerGroupStatus(group(), outcome, now);
    expect(status).toMatchObject({ ...fields, observedGeneration: 3 });
    expect(conditionsOf(status)).toMatchObject(conditions);
    for (const c of status.conditions ?? []) expect(c).toMatchObject({ observedGeneration: 3, lastTransitionTime: now.toISOString() });
  });

  it('keeps fields and conditions an outcome does not set, and a transition time while the status holds', () => {
    const before = consumerGroupStatus(group(), polled({ current: 1, replicas: 2 }), new Date(t0));
    const after = consumerGroupStatus(group(before), { kind: 'lagUnavailable', groupId: 'indexer', error: 'e', current: 2 }, now);
    expect(after).toMatchObject({
      totalLag: 150,
      lastScaleTime: iso(t0),
      lastLagReadTime: iso(t0),
      currentReplicas: 2,
      desiredReplicas: 2,
    });
    const at = (s: ConsumerGroupStatus, type: string) => s.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    expect(at(after, 'Ready')).toBe(now.toISOString());
    expect(at(after, 'Consuming')).toBe(iso(t0));
  });
});

describe('worthWriting', () => {
  const base: ConsumerGroupStatus = { totalLag: 5, lastLagReadTime: iso(t0) };
  it.each<[string, ConsumerGroupStatus, ConsumerGroupStatus, boolean]>([
    ['nothing changed', base, { ...base }, false],
    ['only the read time moved, by less than a minute', base, { ...base, lastLagReadTime: iso(t0 + 59_999) }, false],
    ['only the read time moved, by a minute', base, { ...base, lastLagReadTime: iso(t0 + 60_000) }, true],
    ['the read time and the lag moved', base, { totalLag: 6, lastLagReadTime: iso(t0 + 5_000) }, true],
    ['a first read', { totalLag: 5 }, base, true],
  ])('%s', (_what, previous, next, expected) => {
    expect(worthWriting(previous, next)).toBe(expected);
  });
});
