import { z } from 'zod';
import { instant } from '../../lib/time.ts';
import { alias } from './index-definition.ts';

export const searchParams = z
  .object({
    q: z.string().trim().min(1).max(200).optional(),
    category: z.string().min(1).max(50).optional(),
    city: z.string().min(1).max(100).optional(),
    from: instant.optional(),
    to: instant.optional(),
    priceMax: z.coerce.number().int().min(0).optional(),
    sort: z.enum(['relevance', 'date', 'price']).default('date'),
    size: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(500).optional().describe('a nextCursor this API returned; any other value is 400'),
  })
  .strict();
export type SearchParams = z.infer<typeof searchParams>;

const sorts = {
  relevance: [{ _score: 'desc' }, { startsAt: 'asc' }, { id: 'asc' }],
  date: [{ startsAt: 'asc' }, { id: 'asc' }],
  price: [{ priceMinor: 'asc' }, { startsAt: 'asc' }, { id: 'asc' }],
} as const;

export const encodeCursor = (sortValues: unknown[]) => Buffer.from(JSON.stringify(sortValues)).toString('base64url');
export function decodeCursor(cursor: string): unknown[] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(value) && value.every((v) => ['string', 'number'].includes(typeof v)) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validated search parameters → an Elasticsearch search request: full text on name, description
 * and venue; exact filters; facets by category, city and month; search_after pagination with a
 * tie-breaker so pages never overlap or skip.
 */
export function buildSearch(params: SearchParams, searchAfter?: unknown[]) {
  const filter: object[] = [];
  if (params.category) filter.push({ term: { category: params.category } });
  if (params.city) filter.push({ term: { city: params.city } });
  if (params.from || params.to)
    filter.push({ range: { startsAt: { ...(params.from ? { gte: params.from } : {}), ...(params.to ? { lt: params.to } : {}) } } });
  if (params.priceMax !== undefined) filter.push({ range: { priceMinor: { lte: params.priceMax } } });
  const must = params.q ? [{ multi_match: { query: params.q, fields: ['name^3', 'venue^2', 'description'] } }] : [];
  return {
    index: alias,
    size: params.size,
    track_total_hits: true,
    query: { bool: { must, filter } },
    sort: sorts[params.q ? params.sort : params.sort === 'relevance' ? 'date' : params.sort],
    ...(searchAfter ? { search_after: searchAfter } : {}),
    aggs: {
      category: { terms: { field: 'category', size: 20 } },
      city: { terms: { field: 'city', size: 20 } },
      month: { date_histogram: { field: 'startsAt', calendar_interval: 'month' as const, format: 'yyyy-MM', min_doc_count: 1 } },
    },
  };
}
