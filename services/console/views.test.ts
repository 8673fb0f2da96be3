import { describe, expect, it } from 'vitest';
import { deadLetterView, groupView, type KafkaPartition, recordView, topicView } from './views.ts';

const ready = { type: 'Ready', status: 'True', reason: 'Created' };
const partition = (n: number, over: Partial<KafkaPartition> = {}): KafkaPartition => ({
  partition: n,
  leader: 1,
  replicas: [1],
  isr: [1],
  earliest: '10',
  latest: '25',
  ...over,
});
const topic = (spec: Record<string, unknown>, status: Record<string, unknown> = { observedGeneration: 1, conditions: [ready] }) => ({
  metadata: { name: 'orders', generation: 1 },
  spec,
  status,
});

describe('topicView', () => {
  it('is in sync when Kafka has what the resource asks for, and counts what the partitions keep', () => {
    const view = topicView(topic({ partitions: 2, replicationFactor: 1, config: { 'retention.ms': 1000 } }), [partition(0), partition(1)]);
    expect(view).toMatchObject({ name: 'orders', topicName: 'orders', ready: true, problems: [], config: { 'retention.ms': '1000' } });
    expect(view.kafka?.messages).toBe(30);
    expect(view.partitions).toEqual({ spec: 2, kafka: 2 });
  });

  it('says what drifted: partitions, replication, a partition without leader or out of sync', () => {
    const view = topicView(topic({ topicName: 'orders-v2', partitions: 3, replicationFactor: 3 }), [
      partition(0, { replicas: [1, 2], isr: [1] }),
      partition(1, { leader: -1, replicas: [1, 2], isr: [] }),
    ]);
    expect(view.topicName).toBe('orders-v2');
    expect(view.problems).toEqual([
      'the resource asks for 3 partitions, Kafka has 2',
      'the resource asks for replication factor 3, Kafka has 2',
      'partition 0 has 1 of 2 replicas in sync',
      'partition 1 has no leader',
    ]);
  });

  it('says when the topic is missing, a condition is not True, or the operator is behind the spec', () => {
    const view = topicView(
      {
        metadata: { name: 'orders', generation: 2 },
        spec: { partitions: 1 },
        status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'KafkaError', message: 'broker down' }] },
      },
      [],
    );
    expect(view.ready).toBe(false);
    expect(view.problems).toEqual([
      'the topic orders does not exist in Kafka',
      'Ready is False: KafkaError — broker down',
      'the operator has not yet acted on the latest change of this resource',
    ]);
  });

  it('shows the resource without the Kafka side when Kafka did not answer', () => {
    const view = topicView(topic({ partitions: 1 }), undefined);
    expect(view.kafka).toBeUndefined();
    expect(view.problems).toEqual([]);
  });
});

describe('groupView', () => {
  it('reads the spec and status, and flags a stalled partition and a condition that is not True', () => {
    const view = groupView(
      {
        metadata: { name: 'search-indexer' },
        spec: {
          topics: ['catalog.events'],
          scaleTargetRef: { kind: 'Deployment', name: 'search-indexer' },
          minReplicas: 1,
          maxReplicas: 6,
          lagThreshold: 300,
        },
        status: {
          totalLag: 900,
          currentReplicas: 2,
          desiredReplicas: 3,
          lastLagReadTime: '2026-12-06T10:00:00Z',
          partitions: [
            { topic: 'catalog.events', partition: 0, lag: 900, stalledSince: '2026-12-06T09:59:00Z' },
            { topic: 'catalog.events', partition: 1, lag: 0 },
          ],
          conditions: [
            { type: 'Ready', status: 'True', reason: 'LagRead' },
            { type: 'ScalingLimited', status: 'True', reason: 'AtMax' },
            { type: 'Consuming', status: 'False', reason: 'Stalled', message: 'partition 0' },
            { type: 'Active', status: 'False', reason: 'LagAtOrBelowActivation' },
            { type: 'Stalled', status: 'True', reason: 'OffsetNotMoving' },
          ],
        },
      },
      [{ memberId: 'm1', clientId: 'search-indexer', host: '/10.0.0.1' }],
    );
    expect(view).toMatchObject({
      name: 'search-indexer',
      groupId: 'search-indexer',
      target: 'Deployment/search-indexer',
      replicas: { current: 2, desired: 3, min: 1, max: 6 },
      lagThreshold: 300,
      totalLag: 900,
    });
    expect(view.problems).toEqual([
      'Consuming is False: Stalled — partition 0',
      'Stalled is True: OffsetNotMoving',
      'catalog.events/0 stalled since 2026-12-06T09:59:00Z with lag 900',
    ]);
    expect(view.members).toHaveLength(1);
  });
});

describe('deadLetterView', () => {
  const record = (headers: Record<string, string>, value: string | null = '{"id":1}') => ({
    partition: 2,
    offset: '7',
    key: 'k',
    value,
    headers,
  });

  it('reads the dead-letter headers, the type and the trace id of the record', () => {
    const view = deadLetterView(
      record({
        'dlq-reason': 'not a catalog change: ce_subject is missing',
        'dlq-topic': 'catalog.events',
        'dlq-partition': '0',
        'dlq-offset': '815',
        'dlq-attempts': '3',
        'dlq-time': '2026-12-06T17:59:18.154Z',
        ce_type: 'dev.eventide.catalog.event.created.v1',
        traceparent: `00-${'ab'.repeat(16)}-${'1'.repeat(16)}-01`,
      }),
    );
    expect(view).toEqual({
      partition: 2,
      offset: '7',
      reason: 'not a catalog change: ce_subject is missing',
      from: 'catalog.events/0@815',
      time: '2026-12-06T17:59:18.154Z',
      attempts: 3,
      type: 'dev.eventide.catalog.event.created.v1',
      traceId: 'ab'.repeat(16),
      preview: '{"id":1}',
    });
  });

  it('says what is missing, ignores a malformed or all-zero traceparent, and cuts a long value', () => {
    expect(deadLetterView(record({ traceparent: 'garbage' }, null))).toEqual({
      partition: 2,
      offset: '7',
      reason: '(no dlq-reason header)',
      from: '?/?@?',
      preview: '',
    });
    expect(deadLetterView(record({ traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` })).traceId).toBeUndefined();
    expect(deadLetterView(record({}, 'x'.repeat(500))).preview).toBe(`${'x'.repeat(200)}…`);
  });
});

describe('recordView', () => {
  it('shows where a record is, its type, time, key and trace, and never its value', () => {
    const view = recordView({
      partition: 1,
      offset: '42',
      key: Buffer.from('k-1'),
      value: Buffer.from('{"secret":"s"}'),
      headers: { ce_type: Buffer.from('t.v1'), ce_time: '2026-12-06T10:00:00Z', traceparent: `00-${'cd'.repeat(16)}-${'2'.repeat(16)}-01` },
    });
    expect(view).toEqual({ partition: 1, offset: '42', key: 'k-1', time: '2026-12-06T10:00:00Z', type: 't.v1', traceId: 'cd'.repeat(16) });
    expect(JSON.stringify(view)).not.toContain('secret');
  });
});
