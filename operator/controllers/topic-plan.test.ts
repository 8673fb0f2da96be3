import { describe, expect, it } from 'vitest';
import type { ObservedTopic } from '../api/kafka.ts';
import { changedKeys, desiredConfig, owner, planTopic } from './topic-plan.ts';

const observed = (partitions: number, replicationFactor = 1, config: Record<string, string> = {}): ObservedTopic => ({
  name: 'orders',
  partitions,
  replicationFactor,
  config,
});

describe('planTopic', () => {
  it.each([
    [
      'a missing topic is created as specified',
      { partitions: 3, replicationFactor: 1, config: { 'retention.ms': '1' } },
      undefined,
      [{ kind: 'create', partitions: 3, replicationFactor: 1, config: { 'retention.ms': '1' } }],
    ],
    ['a matching topic needs nothing', { partitions: 3, replicationFactor: 1, config: { a: '1' } }, observed(3, 1, { a: '1' }), []],
    [
      'more partitions are added',
      { partitions: 6, replicationFactor: 1, config: {} },
      observed(3),
      [{ kind: 'addPartitions', from: 3, to: 6 }],
    ],
    [
      'a changed, a new and a removed config key are all applied',
      { partitions: 3, replicationFactor: 1, config: { a: '2', c: '3' } },
      observed(3, 1, { a: '1', b: '9' }),
      [{ kind: 'setConfig', config: { a: '2', c: '3' }, changed: ['a', 'b', 'c'] }],
    ],
    [
      'partitions and configs change together',
      { partitions: 4, replicationFactor: 1, config: { a: '1' } },
      observed(2),
      [
        { kind: 'addPartitions', from: 2, to: 4 },
        { kind: 'setConfig', config: { a: '1' }, changed: ['a'] },
      ],
    ],
  ] as const)('%s', (_what, desired, current, actions) => {
    expect(planTopic({ ...desired, config: { ...desired.config } }, current)).toEqual({ actions });
  });

  it('refuses to shrink partitions and touches nothing else', () => {
    const plan = planTopic({ partitions: 2, replicationFactor: 1, config: { a: 'changed' } }, observed(6));
    expect(plan.actions).toEqual([]);
    expect(plan.blocked?.reason).toBe('PartitionDecreaseNotSupported');
    expect(plan.blocked?.message).toContain('has 6, the spec asks for 2');
  });

  it('reports a replication factor change instead of applying it', () => {
    const plan = planTopic({ partitions: 3, replicationFactor: 3, config: {} }, observed(3, 1));
    expect(plan).toMatchObject({ actions: [], blocked: { reason: 'ReplicationFactorChangeNotSupported' } });
  });
});

describe('config helpers', () => {
  it('turns unquoted numbers into the strings Kafka expects', () => {
    expect(desiredConfig({ 'retention.ms': 604800000, 'cleanup.policy': 'delete' })).toEqual({
      'retention.ms': '604800000',
      'cleanup.policy': 'delete',
    });
    expect(desiredConfig(undefined)).toEqual({});
  });
  it('lists only keys that differ', () => {
    expect(changedKeys({ a: '1', b: '2' }, { a: '1', b: '3' })).toEqual(['b']);
  });
});

describe('owner', () => {
  it('gives the topic to the oldest claim', () => {
    const claims = [
      { namespace: 'b', name: 'new', creationTimestamp: '2026-01-02T00:00:00Z' },
      { namespace: 'a', name: 'old', creationTimestamp: '2026-01-01T00:00:00Z' },
    ];
    expect(owner(claims)?.name).toBe('old');
  });
  it('breaks a tie by namespace and name, so every replica decides alike', () => {
    const t = '2026-01-01T00:00:00Z';
    expect(
      owner([
        { namespace: 'z', name: 'a', creationTimestamp: t },
        { namespace: 'a', name: 'z', creationTimestamp: t },
      ])?.namespace,
    ).toBe('a');
  });
});
