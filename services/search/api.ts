import { type Client, errors } from '@elastic/elasticsearch';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { Health, healthRoutes } from '../../lib/health.ts';
import { HttpProblem, invalid, withHeaders } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { alias } from './index-definition.ts';
import { openApiDocument, type SearchPage } from './openapi.ts';
import { buildSearch, decodeCursor, encodeCursor, searchParams } from './query.ts';

interface Bucket {
  key: string | number;
  key_as_string?: string;
  doc_count: number;
}

/**
 * ES unreachable, overloaded, failing or without the index yet → 503 with Retry-After; a query ES
 * rejects → 400 with its reason; never a 500 for input.
 */
function translate(error: unknown): HttpProblem | undefined {
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) {
    return withHeaders(new HttpProblem(503, 'Search unavailable', 'Elasticsearch cannot be reached; try again shortly'), retryLater);
  }
  if (
    error instanceof errors.ResponseError &&
    (error.statusCode === 429 ||
      (error.statusCode ?? 0) >= 500 ||
      (error.body as { error?: { type?: string } })?.error?.type === 'index_not_found_exception')
  ) {
    return withHeaders(
      new HttpProblem(503, 'Search unavailable', `Elasticsearch cannot answer now (${error.statusCode}); try again shortly`),
      retryLater,
    );
  }
  if (error instanceof errors.ResponseError && error.statusCode === 400) {
    return new HttpProblem(
      400,
      'Query rejected',
      (error.body as { error?: { reason?: string } })?.error?.reason ?? 'Elasticsearch rejected the query',
    );
  }
  return undefined;
}
const retryLater = { 'retry-after': '5' };

/** The search API: GET /api/v1/search/events (text, filters, facets, cursor) and one event by id, over `index` (the alias). */
export function searchApi({ es, registry, log, index = alias }: { es: Client; registry: Registry; log: Logger; index?: string }): Hono {
  const app = new Hono();
  problemErrors(app, { log, translate });
  // Bounded: a node that does not answer within a second makes the API not ready, and /readyz still answers.
  const health = new Health().ready('elasticsearch', async () => ({
    ok: await es.ping({}, { requestTimeout: 1_000, maxRetries: 0 }).catch(() => false),
    detail: 'elasticsearch unreachable',
  }));
  healthRoutes(app, { health, registry });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  app.get('/api/v1/search/events', async (c) => {
    const parsed = searchParams.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const after = parsed.data.cursor === undefined ? undefined : decodeCursor(parsed.data.cursor);
    if (parsed.data.cursor !== undefined && !after) throw new HttpProblem(400, 'Invalid request', 'cursor is not one this API returned');
    const result = await es.search({ ...buildSearch(parsed.data, after), index }).catch((error: unknown) => {
      throw translate(error) ?? error;
    });
    const hits = result.hits.hits;
    const last = hits.at(-1);
    const total = typeof result.hits.total === 'number' ? result.hits.total : (result.hits.total?.value ?? 0);
    const facet = (name: string) =>
      ((result.aggregations?.[name] as { buckets?: Bucket[] } | undefined)?.buckets ?? []).map((b) => ({
        value: b.key_as_string ?? String(b.key),
        count: b.doc_count,
      }));
    return c.json({
      total,
      hits: hits.map((h) => h._source) as SearchPage['hits'],
      facets: { category: facet('category'), city: facet('city'), month: facet('month') },
      ...(last?.sort && hits.length === parsed.data.size ? { nextCursor: encodeCursor(last.sort) } : {}),
    } satisfies SearchPage);
  });

  app.get('/api/v1/search/events/:id', async (c) => {
    const id = c.req.param('id');
    if (!z.uuid().safeParse(id).success) throw new HttpProblem(404, 'Not found', `no event ${id} (event ids are UUIDs)`);
    const found = await es.get({ index, id }, { ignore: [404] }).catch((error: unknown) => {
      throw translate(error) ?? error;
    });
    if (!found.found) throw new HttpProblem(404, 'Not found', `no event ${id} in the search index`);
    return c.json(found._source as object);
  });
  return app;
}
