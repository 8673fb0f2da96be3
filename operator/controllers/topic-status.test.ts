import { describe, expect, it } from 'vitest';
import type { Topic, TopicStatus } from '../api/topic.ts';
import { type TopicOutcome, topicCondition, topicStatus } from './topic-status.ts';

const t1 = new Date('2026-01-01T00:00:00Z');
const t2 = new Date('2026-01-01T00:05:00Z');
const observed = { name: 'orders', partitions: 3, replicationFactor: 1, config: {} };

const topic = (status?: TopicStatus, generation = 2): Topic => ({
  apiVersion: 'eventide.dev/v1alpha1',
  kind: 'Topic',
  metadata: { name: 'orders-resource', namespace: 'ns', generation },
  spec: { topicName: 'orders', partitions: 3, replicationFactor: 1 } as Topic['spec'],
  ...(status ? { status } : {}),
});

describe('topicCondition', () => {
  it.each<[string, TopicOutcome, string, string, string, string]>([
    [
      'paused',
      { kind: 'paused' },
      'ReconciliationPaused',
      'True',
      'ReconciliationPaused',
      'eventide.dev/paused is "true": the operator changes nothing in Kafka for this Topic',
    ],
    [
      'unmanaged',
      { kind: 'unmanaged' },
      'Ready',
      'True',
      'Unmanaged',
      'eventide.dev/managed is "false": Kafka topic orders is left as it is, and deleting this resource never deletes it',
    ],
    [
      'a name owned by an older Topic',
      { kind: 'nameConflict', owner: 'ns/first' },
      'Ready',
      'False',
      'TopicNameConflict',
      'Kafka topic orders is already managed by Topic ns/first, which is older; this one changes nothing',
    ],
    [
      'a name owned by a Topic the watch does not show',
      { kind: 'nameConflict' },
      'Ready',
      'False',
      'TopicNameConflict',
      'Kafka topic orders is already managed by Topic another resource, which is older; this one changes nothing',
    ],
    [
      'Kafka out of reach',
      { kind: 'kafkaUnavailable', error: 'Connection refused' },
      'Ready',
      'False',
      'KafkaUnavailable',
      'cannot read topic orders from Kafka: Connection refused',
    ],
    [
      'a plan Kafka cannot carry out',
      { kind: 'blocked', reason: 'PartitionDecreaseNotSupported', message: 'cannot shrink', observed },
      'Ready',
      'False',
      'PartitionDecreaseNotSupported',
      'cannot shrink',
    ],
    [
      'a refused create',
      {
        kind: 'refused',
        action: { kind: 'create', partitions: 3, replicationFactor: 2, config: {} },
        error: 'too few brokers',
        observed: undefined,
      },
      'Ready',
      'False',
      'KafkaError',
      'Kafka refused to create topic orders (created with 3 partitions, replication factor 2): too few brokers',
    ],
    [
      'a refused config, named InvalidConfig',
      { kind: 'refused', action: { kind: 'setConfig', config: { a: 'x' }, changed: ['a'] }, error: 'Invalid config value', observed },
      'Ready',
      'False',
      'InvalidConfig',
      'Kafka refused to update topic orders (config keys changed: a): Invalid config value',
    ],
    [
      'converged, one override',
      { kind: 'reconciled', desired: { partitions: 3, replicationFactor: 1, config: { 'retention.ms': '1' } } },
      'Ready',
      'True',
      'Reconciled',
      'Kafka topic orders has 3 partitions, replication factor 1, 1 config override',
    ],
    [
      'converged, no overrides',
      { kind: 'reconciled', desired: { partitions: 6, replicationFactor: 3, config: {} } },
      'Ready',
      'True',
      'Reconciled',
      'Kafka topic orders has 6 partitions, replication factor 3, 0 config overrides',
    ],
  ])('%s', (_what, outcome, type, status, reason, message) => {
    expect(topicCondition('orders', outcome)).toEqual({ type, status, reason, message });
  });
});

describe('topicStatus', () => {
  const ready = (reason: string, status: 'True' | 'False', at: Date, generation = 2) => ({
    type: 'Ready',
    status,
    reason,
    message: expect.any(String),
    observedGeneration: generation,
    lastTransitionTime: at.toISOString(),
  });
  const reconciled: TopicOutcome = { kind: 'reconciled', desired: { partitions: 6, replicationFactor: 1, config: {} } };

  it.each<[string, TopicStatus | undefined, TopicOutcome, TopicStatus]>([
    [
      'a first reconcile claims the generation and records what Kafka holds',
      undefined,
      reconciled,
      { observedGeneration: 2, topicName: 'orders', partitions: 6, replicationFactor: 1, conditions: [ready('Reconciled', 'True', t2)] },
    ],
    [
      'a blocked plan records what Kafka holds, not what the spec asks',
      undefined,
      { kind: 'blocked', reason: 'PartitionDecreaseNotSupported', message: 'm', observed },
      {
        observedGeneration: 2,
        topicName: 'orders',
        partitions: 3,
        replicationFactor: 1,
        conditions: [ready('PartitionDecreaseNotSupported', 'False', t2)],
      },
    ],
    [
      'Kafka out of reach keeps the partitions last seen, and Ready keeps its transition time while False stays False',
      {
        observedGeneration: 1,
        topicName: 'orders',
        partitions: 3,
        replicationFactor: 1,
        conditions: [{ type: 'Ready', status: 'False', reason: 'KafkaError', message: 'x', lastTransitionTime: t1.toISOString() }],
      },
      { kind: 'kafkaUnavailable', error: 'e' },
      {
        observedGeneration: 2,
        topicName: 'orders',
        partitions: 3,
        replicationFactor: 1,
        conditions: [ready('KafkaUnavailable', 'False', t1)],
      },
    ],
    [
      'a pause adds its condition beside Ready and claims no generation',
      {
        observedGeneration: 1,
        topicName: 'orders',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Reconciled',
            message: 'x',
            observedGeneration: 1,
            lastTransitionTime: t1.toISOString(),
          },
        ],
      },
      { kind: 'paused' },
      {
        observedGeneration: 1,
        topicName: 'orders',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Reconciled',
            message: 'x',
            observedGeneration: 1,
            lastTransitionTime: t1.toISOString(),
          },
          {
            type: 'ReconciliationPaused',
            status: 'True',
            reason: 'ReconciliationPaused',
            message: expect.any(String),
            observedGeneration: 2,
            lastTransitionTime: t2.toISOString(),
          },
        ],
      },
    ],
    [
      'the next reconcile after a pause removes the pause condition',
      {
        observedGeneration: 1,
        topicName: 'orders',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Reconciled',
            message: 'x',
            observedGeneration: 1,
            lastTransitionTime: t1.toISOString(),
          },
          {
            type: 'ReconciliationPaused',
            status: 'True',
            reason: 'ReconciliationPaused',
            message: 'p',
            lastTransitionTime: t1.toISOString(),
          },
        ],
      },
      reconciled,
      { observedGeneration: 2, topicName: 'orders', partitions: 6, replicationFactor: 1, conditions: [ready('Reconciled', 'True', t1)] },
    ],
  ])('%s', (_what, before, outcome, expected) => {
    expect(topicStatus(topic(before), outcome, t2)).toEqual(expected);
  });

  it('gives the same status for the same outcome, so a converged Topic is not written again', () => {
    const first = topicStatus(topic(), reconciled, t1);
    expect(topicStatus(topic(first), reconciled, t2)).toEqual(first);
  });
});
