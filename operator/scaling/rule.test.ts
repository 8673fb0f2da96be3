import { describe, expect, it } from 'vitest';
import type { PartitionOffsets } from '../api/kafka.ts';
import { emptyMemory, memoryAfterRestart, partitionLag, type ScalingMemory, type ScalingSpec, scalingDecision } from './rule.ts';

const spec: ScalingSpec = {
  minReplicas: 1,
  maxReplicas: 10,
  lagThreshold: 100,
  activationLagThreshold: 0,
  scaleDownStabilizationSeconds: 60,
  offsetResetPolicy: 'latest',
  allowIdleConsumers: false,
  stallAfterPolls: 3,
};

/** Six partitions, each with `lags[i]` messages not yet committed. */
const partitions = (lags: number[], committed = 1000): PartitionOffsets[] =>
  lags.map((lag, partition) => ({ topic: 't', partition, startOffset: 0, endOffset: committed + lag, committedOffset: committed }));
const once = (s: Partial<ScalingSpec>, offsets: PartitionOffsets[]) =>
  scalingDecision({ ...spec, ...s }, offsets, emptyMemory(), 0).decision;

describe('scalingDecision: one poll', () => {
  it.each([
    ['zero lag runs minReplicas', {}, [0, 0, 0, 0, 0, 0], 1, undefined],
    ['lag just below a multiple of the threshold', {}, [99, 100, 0, 0, 0, 0], 2, undefined],
    ['lag exactly a multiple', {}, [100, 100, 0, 0, 0, 0], 2, undefined],
    ['lag just above a multiple', {}, [101, 100, 0, 0, 0, 0], 3, undefined],
    [
      'at the activation threshold: inactive, minReplicas',
      { activationLagThreshold: 500, minReplicas: 0 },
      [250, 250, 0, 0, 0, 0],
      0,
      undefined,
    ],
    ['just above the activation threshold', { activationLagThreshold: 500, minReplicas: 0 }, [251, 250, 0, 0, 0, 0], 6, undefined],
    ['clamped by maxReplicas', { maxReplicas: 3 }, [500, 500, 0, 0, 0, 0], 3, 'MaxReplicas'],
    ['clamped by the partition count', { maxReplicas: 50 }, [5000, 5000, 0, 0, 0, 0], 6, 'PartitionCount'],
    [
      'idle consumers allowed: beyond the partitions, up to max',
      { maxReplicas: 50, allowIdleConsumers: true },
      [1000, 1000, 0, 0, 0, 0],
      20,
      undefined,
    ],
    ['floored at minReplicas', { minReplicas: 3 }, [10, 0, 0, 0, 0, 0], 3, 'MinReplicas'],
    ['one hot partition, the rest empty, is still capped by partitions', {}, [100000, 0, 0, 0, 0, 0], 6, 'PartitionCount'],
  ] as const)('%s', (_what, overrides, lags, desired, limitedBy) => {
    const decision = once(overrides, partitions([...lags]));
    expect(decision.desired).toBe(desired);
    expect(decision.limitedBy).toBe(limitedBy);
  });

  it('counts a partition without a committed offset from the start under earliest, as nothing under latest', () => {
    const fresh: PartitionOffsets[] = [{ topic: 't', partition: 0, startOffset: 200, endOffset: 1200, committedOffset: null }];
    expect(partitionLag(fresh[0] as PartitionOffsets, 'earliest')).toBe(1000);
    expect(partitionLag(fresh[0] as PartitionOffsets, 'latest')).toBe(0);
    expect(once({ offsetResetPolicy: 'earliest', allowIdleConsumers: true }, fresh).desired).toBe(10);
    expect(once({ offsetResetPolicy: 'latest' }, fresh).desired).toBe(1);
  });

  it('reports total and per-partition lag', () => {
    const decision = once({}, partitions([5, 0, 7, 0, 0, 0]));
    expect(decision.totalLag).toBe(12);
    expect(decision.partitions.map((p) => p.lag)).toEqual([5, 0, 7, 0, 0, 0]);
  });
});

describe('scalingDecision: over time', () => {
  const run = (
    s: Partial<ScalingSpec>,
    polls: { at: number; lags: number[]; committed?: number }[],
    memory: ScalingMemory = emptyMemory(),
  ) => {
    const out: number[] = [];
    let state = memory;
    let last: ReturnType<typeof scalingDecision>['decision'] | undefined;
    for (const poll of polls) {
      const result = scalingDecision({ ...spec, ...s }, partitions(poll.lags, poll.committed), state, poll.at);
      state = result.memory;
      last = result.decision;
      out.push(result.decision.desired);
    }
    return { desired: out, last };
  };

  it('scales up at once but down only to the highest recommendation in the window', () => {
    const { desired } = run({ scaleDownStabilizationSeconds: 60 }, [
      { at: 0, lags: [300, 300, 0, 0, 0, 0] },
      { at: 10_000, lags: [50, 0, 0, 0, 0, 0], committed: 2000 },
      { at: 30_000, lags: [0, 0, 0, 0, 0, 0], committed: 3000 },
      { at: 61_000, lags: [0, 0, 0, 0, 0, 0], committed: 3000 },
    ]);
    expect(desired).toEqual([6, 6, 6, 1]);
  });

  it('does not flap when lag oscillates around a threshold', () => {
    const polls = Array.from({ length: 24 }, (_, i) => ({
      at: i * 5_000,
      lags: i % 2 === 0 ? [101, 0, 0, 0, 0, 0] : [99, 0, 0, 0, 0, 0],
      committed: 1000 + i * 100,
    }));
    const { desired } = run({ scaleDownStabilizationSeconds: 30 }, polls);
    expect(new Set(desired)).toEqual(new Set([2]));
  });

  it('leaves a stalled partition out of the scaling lag, and reports it', () => {
    const stuck = (i: number) => ({ at: i * 5_000, lags: [10_000, 0, 0, 0, 0, 0], committed: 1000 });
    const { desired, last } = run({ scaleDownStabilizationSeconds: 0 }, [0, 1, 2, 3].map(stuck));
    expect(desired).toEqual([6, 6, 6, 1]);
    expect(last?.stalled.map((p) => [p.partition, p.stalledSince])).toEqual([[0, 0]]);
    expect(last?.totalLag).toBe(10_000);
    expect(last?.scalingLag).toBe(0);
  });

  it('after a restart, holds the running replicas for a window instead of scaling down at once', () => {
    const { desired } = run(
      { scaleDownStabilizationSeconds: 60 },
      [
        { at: 1_000, lags: [0, 0, 0, 0, 0, 0] },
        { at: 61_500, lags: [0, 0, 0, 0, 0, 0] },
      ],
      memoryAfterRestart(4, 0),
    );
    expect(desired).toEqual([4, 1]);
  });

  it('applies a lowered maxReplicas at once, whatever the window remembers', () => {
    const { desired } = run({}, [{ at: 0, lags: [0, 0, 0, 0, 0, 0] }], memoryAfterRestart(6, 0));
    expect(desired).toEqual([6]);
    expect(run({ maxReplicas: 2 }, [{ at: 0, lags: [0, 0, 0, 0, 0, 0] }], memoryAfterRestart(6, 0)).desired).toEqual([2]);
  });
});

describe('scalingDecision: the group as a whole', () => {
  const polls = (
    count: number,
    lags: number[],
    group: { members: number; replicas: number } | undefined,
    committed: (i: number) => number = () => 1000,
  ) => {
    let memory = emptyMemory();
    const states: string[] = [];
    let last: ReturnType<typeof scalingDecision>['decision'] | undefined;
    for (let i = 0; i < count; i++) {
      const result = scalingDecision(spec, partitions(lags, committed(i)), memory, i * 5_000, group);
      memory = result.memory;
      last = result.decision;
      states.push(result.decision.group.state);
    }
    return { states, last };
  };

  it('a group without members while replicas should run is NoActiveMembers after stallAfterPolls polls, and no partition is stalled', () => {
    const { states, last } = polls(5, [500, 500, 500, 0, 0, 0], { members: 0, replicas: 2 });
    expect(states).toEqual(['Joining', 'Joining', 'NoActiveMembers', 'NoActiveMembers', 'NoActiveMembers']);
    expect(last?.stalled).toEqual([]);
    expect(last?.group).toEqual({ state: 'NoActiveMembers', members: 0, since: 0 });
    // Its lag still counts: the dead group's backlog is real work.
    expect(last?.scalingLag).toBe(1500);
    expect(last?.desired).toBe(6);
  });

  it('members that move none of several lagging partitions are NoProgress, not stalled partitions', () => {
    const { states, last } = polls(5, [500, 500, 0, 0, 0, 0], { members: 2, replicas: 2 });
    expect(states).toEqual(['Consuming', 'Consuming', 'Consuming', 'NoProgress', 'NoProgress']);
    expect(last?.stalled).toEqual([]);
    expect(last?.scalingLag).toBe(1000);
  });

  it('one stuck partition among moving ones stays a stalled partition of a consuming group', () => {
    let memory = emptyMemory();
    let last: ReturnType<typeof scalingDecision>['decision'] | undefined;
    for (let i = 0; i < 5; i++) {
      const offsets = partitions([500, 500, 0, 0, 0, 0]).map((p) =>
        p.partition === 1 ? { ...p, committedOffset: 1000 + i * 10, endOffset: 1500 + i * 10 } : p,
      );
      const result = scalingDecision(spec, offsets, memory, i * 5_000, { members: 2, replicas: 2 });
      memory = result.memory;
      last = result.decision;
    }
    expect(last?.group.state).toBe('Consuming');
    expect(last?.stalled.map((p) => p.partition)).toEqual([0]);
  });

  it('members that come back end NoActiveMembers at once and restart the clock', () => {
    let memory = emptyMemory();
    for (let i = 0; i < 4; i++) memory = scalingDecision(spec, partitions([100]), memory, i * 5_000, { members: 0, replicas: 1 }).memory;
    const back = scalingDecision(spec, partitions([100], 1050), memory, 20_000, { members: 1, replicas: 1 });
    expect(back.decision.group.state).toBe('Consuming');
    expect(back.memory.memberless).toBeUndefined();
    const gone = scalingDecision(spec, partitions([100], 1050), back.memory, 25_000, { members: 0, replicas: 1 });
    expect(gone.decision.group).toEqual({ state: 'Joining', members: 0, since: 25_000 });
  });

  it('no replicas and no members is NoReplicas (scaled to zero), and unread members are Unknown', () => {
    expect(polls(4, [0], { members: 0, replicas: 0 }).states.at(-1)).toBe('NoReplicas');
    expect(polls(1, [0], undefined).states).toEqual(['Unknown']);
  });
});
