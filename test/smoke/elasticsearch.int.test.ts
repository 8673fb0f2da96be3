// @needs elasticsearch
import { randomUUID } from 'node:crypto';
import { Client, errors } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const client = new Client({ node: inject('elasticsearchUrl') });
const index = `smoke-${randomUUID()}`;
const categories = ['concert', 'talk', 'festival', 'workshop'];

beforeAll(async () => {
  await client.indices.create({
    index,
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: {
      properties: {
        name: { type: 'text', fields: { raw: { type: 'keyword' } } },
        category: { type: 'keyword' },
        startsAt: { type: 'date' },
        capacity: { type: 'integer' },
      },
    },
  });
});
afterAll(async () => {
  await client.indices.delete({ index });
  await client.close();
});

describe('@elastic/elasticsearch against a real Elasticsearch 8.x', () => {
  it('is the 8.x server the client is made for', async () => {
    const info = await client.info();
    expect(info.version.number).toMatch(/^8\./);
    expect(info.tagline).toBe('You Know, for Search');
  });

  it('bulk-indexes 10,000 documents, then finds them by query and aggregates them', async () => {
    const operations = Array.from({ length: 10_000 }, (_, n) => [
      { index: { _index: index, _id: String(n) } },
      {
        name: n % 10 === 0 ? `Jazz night ${n}` : `Evening ${n}`,
        category: categories[n % categories.length],
        startsAt: new Date(Date.UTC(2026, n % 12, 1 + (n % 28))).toISOString(),
        capacity: 100 + (n % 400),
      },
    ]).flat();
    const bulk = await client.bulk({ operations, refresh: 'wait_for' });
    expect(bulk.errors).toBe(false);
    expect(bulk.items).toHaveLength(10_000);

    const result = await client.search({
      index,
      query: { match: { name: 'jazz' } },
      size: 0,
      track_total_hits: true,
      aggs: {
        byCategory: { terms: { field: 'category' } },
        byMonth: { date_histogram: { field: 'startsAt', calendar_interval: 'month' } },
      },
    });
    const total = typeof result.hits.total === 'number' ? result.hits.total : result.hits.total?.value;
    expect(total).toBe(1_000);
    const aggregations = result.aggregations as Record<string, { buckets: { key: string; doc_count: number }[] }>;
    const buckets = aggregations.byCategory?.buckets ?? [];
    // Every tenth document is a jazz night, and n % 10 === 0 only meets the even categories.
    expect(Object.fromEntries(buckets.map((b) => [b.key, b.doc_count]))).toEqual({ concert: 500, festival: 500 });
    const months = aggregations.byMonth?.buckets ?? [];
    expect(months.reduce((sum, b) => sum + b.doc_count, 0)).toBe(1_000);
  });

  it('rejects a write whose external version is older than the stored one', async () => {
    await client.index({ index, id: 'versioned', version: 5, version_type: 'external', document: { name: 'v5' } });
    const stale = client.index({ index, id: 'versioned', version: 3, version_type: 'external', document: { name: 'v3' } });
    await expect(stale).rejects.toBeInstanceOf(errors.ResponseError);
    await expect(stale).rejects.toMatchObject({ statusCode: 409, body: { error: { type: 'version_conflict_engine_exception' } } });
    const stored = await client.get<{ name: string }>({ index, id: 'versioned' });
    expect(stored._version).toBe(5);
    expect(stored._source?.name).toBe('v5');
  });
});
