import { describe, expect, it } from 'vitest';
import type { Topic } from '../api/topic.ts';
import { TopicClaims } from './topic-claims.ts';

const topic = (name: string, topicName?: string, annotations?: Record<string, string>): Topic => ({
  apiVersion: 'eventide.dev/v1alpha1',
  kind: 'Topic',
  metadata: { name, namespace: 'ns', annotations },
  spec: { partitions: 1, replicationFactor: 1, ...(topicName ? { topicName } : {}) } as Topic['spec'],
});
const names = (list: Topic[]) => list.map((t) => t.metadata.name).sort();

describe('TopicClaims', () => {
  it('finds every resource that names a Kafka topic, by spec.topicName or by its own name', () => {
    const claims = new TopicClaims();
    claims.observe(topic('orders'), false);
    claims.observe(topic('orders-copy', 'orders'), false);
    claims.observe(topic('payments'), false);
    expect(names(claims.on('orders'))).toEqual(['orders', 'orders-copy']);
    expect(names(claims.on('payments'))).toEqual(['payments']);
    expect(claims.on('nothing')).toEqual([]);
  });

  it('follows a renamed topicName and a deleted resource', () => {
    const claims = new TopicClaims();
    claims.observe(topic('a', 'one'), false);
    claims.observe(topic('a', 'two'), false);
    expect(claims.on('one')).toEqual([]);
    expect(names(claims.on('two'))).toEqual(['a']);
    claims.observe(topic('a', 'two'), true);
    expect(claims.on('two')).toEqual([]);
  });

  it('leaves out resources that say they are unmanaged', () => {
    const claims = new TopicClaims();
    claims.observe(topic('a', 'shared'), false);
    claims.observe(topic('b', 'shared', { 'eventide.dev/managed': 'false' }), false);
    expect(names(claims.on('shared'))).toEqual(['a']);
  });
});
