import { z } from 'zod';
import { problemComponent, problemResponses, queryParameters, schemaOf } from '../../lib/http/openapi.ts';
import { event } from '../catalog/schema.ts';
import { searchParams } from './query.ts';

const bucket = z.object({ value: z.string(), count: z.int().min(0) }).strict();

/** What GET /api/v1/search/events answers: the documents are the catalog's events as it published them. */
export const searchPage = z
  .object({
    total: z.int().min(0),
    hits: z.array(event),
    facets: z
      .object({
        category: z.array(bucket),
        city: z.array(bucket),
        month: z.array(bucket.extend({ value: z.string().regex(/^\d{4}-\d{2}$/) })),
      })
      .strict(),
    nextCursor: z.string().optional().describe('pass as cursor for the next page; absent when this page is not full'),
  })
  .strict();
export type SearchPage = z.infer<typeof searchPage>;

/** OpenAPI 3.1, generated from the same zod schemas that validate the parameters and shape the answers. */
export function openApiDocument() {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const unavailable = { 503: 'Elasticsearch cannot be reached or cannot answer now; retry after Retry-After seconds' };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide search',
      version: '1.0.0',
      description: 'Full-text search over the events the catalog publishes, indexed from Kafka topic catalog.events.',
    },
    paths: {
      '/api/v1/search/events': {
        get: {
          operationId: 'searchEvents',
          summary: 'Search events: text, filters, facets and a cursor',
          parameters: queryParameters(searchParams),
          responses: {
            '200': {
              description: 'a page of hits with facets by category, city and month',
              content: json('SearchPage'),
              links: { hit: { operationId: 'getSearchedEvent', parameters: { 'path.id': '$response.body#/hits/0/id' } } },
            },
            ...problemResponses({
              400: 'a query parameter the schema refuses, a cursor this API did not return, or a query Elasticsearch rejects',
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/search/events/{id}': {
        get: {
          operationId: 'getSearchedEvent',
          summary: 'One event as indexed',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: 'the event id; anything that is not a UUID is 404',
              schema: { type: 'string', format: 'uuid' },
            },
          ],
          responses: {
            '200': { description: 'the event', content: json('Event') },
            ...problemResponses({ 404: 'no such event in the index', ...unavailable }),
          },
        },
      },
    },
    components: { schemas: { SearchPage: schemaOf(searchPage, 'output'), Event: schemaOf(event, 'output'), ...problemComponent } },
  };
}
