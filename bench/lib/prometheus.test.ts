import { describe, expect, it } from 'vitest';
import { bucketPercentile, parseMetrics, sum } from './prometheus.ts';

const page = `# HELP eventide_kafka_requests_total Requests.
# TYPE eventide_kafka_requests_total counter
eventide_kafka_requests_total{client="topics",api="Metadata"} 12
eventide_kafka_requests_total{client="topics",api="CreateTopics"} 3
eventide_kafka_requests_total{client="lag",api="Metadata"} 5
eventide_leader 1
`;

describe('parseMetrics and sum', () => {
  it('reads names, labels and values, and sums what matches', () => {
    const samples = parseMetrics(page);
    expect(samples).toHaveLength(4);
    expect(samples[1]).toEqual({ name: 'eventide_kafka_requests_total', labels: { client: 'topics', api: 'CreateTopics' }, value: 3 });
    expect(sum(samples, 'eventide_kafka_requests_total', { api: 'Metadata' })).toBe(17);
    expect(sum(samples, 'eventide_kafka_requests_total', { client: 'topics' })).toBe(15);
    expect(sum(samples, 'eventide_leader')).toBe(1);
    expect(sum(samples, 'missing')).toBe(0);
  });
});

describe('bucketPercentile', () => {
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 99 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  it('is the bound of the first bucket reaching p%', () => {
    expect(bucketPercentile(buckets, 50)).toBe(0.1);
    expect(bucketPercentile(buckets, 90)).toBe(0.5);
    expect(bucketPercentile(buckets, 95)).toBe(1);
    expect(bucketPercentile(buckets, 100)).toBe(Number.POSITIVE_INFINITY);
  });
  it('is NaN without observations', () => {
    expect(bucketPercentile([{ le: 1, count: 0 }], 95)).toBeNaN();
  });
});
