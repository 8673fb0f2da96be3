// @needs elasticsearch
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { searchApi } from './api.ts';
import { ensureIndex } from './index-admin.ts';
import { indexName } from './index-definition.ts';
import { encodeCursor } from './query.ts';

const es = new Client({ node: inject('elasticsearchUrl') });
const app = searchApi({ es, registry: new Registry(), log: pino({ level: 'silent' }) });
const cities = ['Hamburg', 'Berlin', 'Munich'];
const categories = ['concert', 'talk'];
const docs = Array.from({ length: 30 }, (_, i) => ({
  id: randomUUID(),
  version: 1,
  name: i % 3 === 0 ? `Jazz evening ${i}` : `Event ${i}`,
  description: 'an evening out',
  category: categories[i % 2],
  city: cities[i % 3],
  country: 'DE',
  venue: 'Hall',
  startsAt: new Date(Date.UTC(2027, i % 3, 1 + i)).toISOString(),
  endsAt: new Date(Date.UTC(2027, i % 3, 1 + i, 3)).toISOString(),
  capacity: 100,
  priceMinor: 1000 + i * 100,
  currency: 'EUR',
  organizerId: randomUUID(),
  status: 'published',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
}));
type Page = {
  total: number;
  hits: { id: string; priceMinor: number }[];
  facets: Record<string, { value: string; count: number }[]>;
  nextCursor?: string;
};
const get = async (query: string) => app.request(`/api/v1/search/events?${query}`);
const page = async (query: string) => (await (await get(query)).json()) as Page;

beforeAll(async () => {
  await ensureIndex(es);
  await es.bulk({
    refresh: 'wait_for',
    operations: docs.flatMap((d) => [{ index: { _index: indexName, _id: d.id, version: 1, version_type: 'external' } }, d]),
  });
});
afterAll(async () => {
  // By id: delete-by-query lives in the reindex module, which the local Elasticsearch does not have.
  await es.bulk({ refresh: true, operations: docs.map((d) => ({ delete: { _index: indexName, _id: d.id } })) });
  await es.close();
});

describe('search API on a real Elasticsearch', () => {
  it('finds by text within a filter, with facets that match the data', async () => {
    const result = await page(`q=jazz&category=concert&size=100`);
    const expected = docs.filter((d) => d.name.startsWith('Jazz') && d.category === 'concert');
    expect(result.total).toBe(expected.length);
    expect(new Set(result.hits.map((h) => h.id))).toEqual(new Set(expected.map((d) => d.id)));
    const byCity = Object.fromEntries(result.facets.city?.map((b) => [b.value, b.count]) ?? []);
    for (const city of cities) expect(byCity[city] ?? 0).toBe(expected.filter((d) => d.city === city).length);
    expect(result.facets.month?.every((b) => /^\d{4}-\d{2}$/.test(b.value))).toBe(true);
  });

  it('filters by city, date range and highest price', async () => {
    const result = await page(`city=Berlin&from=2027-01-01T00:00:00Z&to=2027-04-01T00:00:00Z&priceMax=2500&size=100`);
    const expected = docs.filter((d) => d.city === 'Berlin' && d.priceMinor <= 2500);
    expect(result.hits.map((h) => h.id).sort()).toEqual(expected.map((d) => d.id).sort());
  });

  it('pages with a cursor: every document once, none twice', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const result = await page(`size=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...result.hits.map((h) => h.id));
      cursor = result.nextCursor;
    } while (cursor);
    expect(seen.filter((id) => docs.some((d) => d.id === id))).toHaveLength(docs.length);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('sorts by price', async () => {
    const prices = (await page('sort=price&size=100')).hits.map((h) => h.priceMinor);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
  });

  it('serves one event by id, and 404 for an unknown one', async () => {
    const one = await app.request(`/api/v1/search/events/${docs[0]?.id}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: docs[0]?.id });
    expect((await app.request(`/api/v1/search/events/${randomUUID()}`)).status).toBe(404);
  });

  it('answers bad parameters, and a query Elasticsearch rejects, with 400 problem+json', async () => {
    for (const query of ['sort=random', 'priceMax=-3', 'colour=red', 'cursor=nonsense', 'from=yesterday']) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    // A well-formed cursor whose values Elasticsearch cannot use for the date sort.
    const rejected = await get(`cursor=${encodeCursor(['not-a-date', 'x'])}`);
    expect(rejected.status).toBe(400);
    expect(((await rejected.json()) as { title: string }).title).toBe('Query rejected');
  });

  it('is 503 with Retry-After, not 500, when the index is not there (yet)', async () => {
    const missing = searchApi({ es, registry: new Registry(), log: pino({ level: 'silent' }), index: `missing-${randomUUID()}` });
    const response = await missing.request('/api/v1/search/events');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
  });

  it('is 503 with Retry-After when Elasticsearch cannot be reached', async () => {
    const unreachable = searchApi({
      es: new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 1_000 }),
      registry: new Registry(),
      log: pino({ level: 'silent' }),
    });
    const response = await unreachable.request('/api/v1/search/events');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect((await unreachable.request('/readyz')).status).toBe(503);
  });
});
