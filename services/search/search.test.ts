import { describe, expect, it } from 'vitest';
import type { Change } from '../catalog/events.ts';
import { bulkAction, outcome } from './bulk.ts';
import { buildSearch, decodeCursor, encodeCursor, searchParams } from './query.ts';

const change = (kind: Change['kind'], version: number): Change => ({
  id: 'c1',
  kind,
  entityId: 'e1',
  version,
  time: new Date(),
  data: kind === 'deleted' ? { id: 'e1', version } : { id: 'e1', version, name: 'Jazz' },
});

describe('bulkAction', () => {
  it('indexes a created or updated event with its version as the external version', () => {
    expect(bulkAction(change('updated', 4))).toEqual([
      { index: { _index: 'events-v1', _id: 'e1', version: 4, version_type: 'external' } },
      { id: 'e1', version: 4, name: 'Jazz' },
    ]);
  });
  it('deletes a deleted event, also versioned, so an older update cannot bring it back', () => {
    expect(bulkAction(change('deleted', 5))).toEqual([
      { delete: { _index: 'events-v1', _id: 'e1', version: 5, version_type: 'external' } },
    ]);
  });
});

describe('outcome of a bulk item', () => {
  it.each([
    ['created', { status: 201 }, 'created', { ok: true, retriable: false }],
    [
      'a stale version: something newer is there',
      { status: 409, error: { type: 'version_conflict_engine_exception' } },
      'updated',
      { ok: true, retriable: false },
    ],
    ['deleting what is already gone', { status: 404 }, 'deleted', { ok: true, retriable: false }],
    [
      'overload',
      { status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } },
      'created',
      { ok: false, retriable: true },
    ],
    [
      'a mapping rejection',
      { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad field' } },
      'created',
      { ok: false, retriable: false },
    ],
  ] as const)('%s', (_what, item, kind, expected) => {
    expect(outcome(item, kind)).toMatchObject(expected);
  });
  it('says why an item failed', () => {
    expect(outcome({ status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad field' } }, 'created').reason).toBe(
      '400 mapper_parsing_exception: bad field',
    );
  });
});

describe('buildSearch', () => {
  const params = (query: Record<string, string>) => searchParams.parse(query);
  it('filters exactly and searches text only when asked', () => {
    const body = buildSearch(params({ category: 'concert', city: 'Hamburg', priceMax: '3000', from: '2027-01-01T00:00:00Z' }));
    expect(body.query).toEqual({
      bool: {
        must: [],
        filter: [
          { term: { category: 'concert' } },
          { term: { city: 'Hamburg' } },
          { range: { startsAt: { gte: '2027-01-01T00:00:00.000Z' } } },
          { range: { priceMinor: { lte: 3000 } } },
        ],
      },
    });
    expect(body.sort).toEqual([{ startsAt: 'asc' }, { id: 'asc' }]);
  });
  it('ranks by relevance for a text query when asked, with a tie-breaker', () => {
    const body = buildSearch(params({ q: 'jazz', sort: 'relevance' }));
    expect(body.query.bool.must).toEqual([{ multi_match: { query: 'jazz', fields: ['name^3', 'venue^2', 'description'] } }]);
    expect(body.sort.at(-1)).toEqual({ id: 'asc' });
  });
  it('asks for category, city and month facets', () => {
    expect(Object.keys(buildSearch(params({})).aggs)).toEqual(['category', 'city', 'month']);
  });
  it('continues after a cursor, and refuses cursors it did not make', () => {
    const cursor = encodeCursor([1767225600000, 'e1']);
    expect(buildSearch(params({}), decodeCursor(cursor)).search_after).toEqual([1767225600000, 'e1']);
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
  });
  it('rejects unknown parameters and bad values', () => {
    expect(searchParams.safeParse({ sort: 'random' }).success).toBe(false);
    expect(searchParams.safeParse({ priceMax: '-1' }).success).toBe(false);
    expect(searchParams.safeParse({ colour: 'red' }).success).toBe(false);
  });
  it('reads from and to by the platform time rule, as UTC', () => {
    expect(buildSearch(params({ from: '2027-03-01T00:00:00+05:45', to: '2027-04-01T00:00:00-14:00' })).query.bool.filter).toEqual([
      { range: { startsAt: { gte: '2027-02-28T18:15:00.000Z', lt: '2027-04-01T14:00:00.000Z' } } },
    ]);
    for (const [name, value] of [
      ['to', '2027-03-11T09:24:39+16:00'],
      ['from', '2027-02-29T00:00:00Z'],
      ['from', '2027-03-01T00:00:00.0001Z'],
    ]) {
      expect(searchParams.safeParse({ [name as string]: value }).error?.issues.map((i) => i.path.join('.'))).toEqual([name]);
    }
  });
});
