import { z } from 'zod';
import {
  authProblems,
  bearerSecurityScheme,
  problemComponent,
  problemResponses,
  queryParameters,
  schemaOf,
  secured,
} from '../../lib/http/openapi.ts';
import { event, eventInput, eventPage, eventPatch, idempotencyKeyHeader, ifMatchHeader, listQuery } from './schema.ts';

/** The body's `version` (PUT, PATCH): optimistic concurrency without If-Match; taken out before validation. */
const bodyVersion = { version: z.int().min(1).optional().describe('the version last seen; 409 if stale, 400 if If-Match says another') };
/** An event as a client sends it: the document's example, and the tests' sample. */
export const exampleEvent = {
  name: 'Jazz at the harbour',
  description: 'An evening of standards',
  category: 'concert',
  startsAt: '2027-03-01T19:00:00Z',
  endsAt: '2027-03-01T22:00:00Z',
  venue: 'Hafenhalle',
  city: 'Hamburg',
  country: 'DE',
  capacity: 300,
  priceMinor: 2500,
  currency: 'EUR',
  organizerId: '5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90',
  status: 'published',
};

/** An event body's organizerId is a rule about the caller too, which the schema cannot say: a valid id may still be 403. */
function withOrganizerRule(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, Record<string, unknown>>;
  return {
    ...schema,
    properties: {
      ...properties,
      organizerId: {
        ...properties.organizerId,
        description: "the event's organizer: an organizer's token writes only events whose organizerId is its subject (403 otherwise)",
      },
    },
  };
}

/** OpenAPI 3.1, generated from the same zod schemas that validate requests and shape responses. */
export function openApiDocument() {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'the event id; anything that is not a UUID is 404',
    schema: { type: 'string', format: 'uuid' },
  };
  const ifMatch = {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'the ETag (version) last seen, or *; 412 if stale, 400 if not an ETag (an empty value too)',
    schema: schemaOf(ifMatchHeader),
  };
  const etag = { ETag: { description: 'the version, quoted', required: true, schema: { type: 'string', pattern: '^"\\d+"$' } } };
  const withEvent = (description: string, headers: object = etag) => ({ description, headers, content: json('Event') });
  /** An id of the created event and its ETag, for the operations on one event. */
  const onCreated = (operationId: string, precondition: boolean) => ({
    operationId,
    parameters: { 'path.id': '$response.body#/id', ...(precondition ? { 'header.If-Match': '$response.header.ETag' } : {}) },
  });
  const unavailable = { 503: 'the database is unavailable; retry after Retry-After seconds' };
  const writer = secured("the event's organizer (role organizer, subject = organizerId) or a platform-admin");
  const auth = authProblems('a role other than organizer or platform-admin, or an organizerId other than the token subject');
  const writeProblems = {
    ...auth,
    400: 'malformed JSON, a body the schema refuses (every field named in errors), endsAt not after startsAt, If-Match not an ETag, or If-Match and the body version disagree',
    404: "no such event, or another organizer's",
    409: 'the body version is stale (currentVersion says the current one)',
    412: 'If-Match is stale (currentVersion says the current one)',
    413: 'the body is larger than the limit',
    415: 'the body is not application/json or application/merge-patch+json',
    ...unavailable,
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide catalog',
      version: '1.0.0',
      description: 'Events (concerts, talks, …): every change is published to Kafka topic catalog.events.',
    },
    paths: {
      '/api/v1/events': {
        get: {
          operationId: 'listEvents',
          summary: 'List events, by start time',
          parameters: queryParameters(listQuery),
          responses: {
            '200': { description: 'a page', content: json('EventPage') },
            ...problemResponses({ 400: 'a query parameter the schema refuses, or a cursor this API did not return', ...unavailable }),
          },
        },
        post: {
          operationId: 'createEvent',
          summary: 'Create an event',
          ...writer,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'a retry with the same key and body returns the first event; another body is 422',
              schema: schemaOf(idempotencyKeyHeader),
            },
          ],
          requestBody: { required: true, content: json('EventInput') },
          responses: {
            '201': {
              ...withEvent('created', {
                ...etag,
                Location: { description: 'the new event', required: true, schema: { type: 'string' } },
                'Idempotent-Replayed': { description: 'true when this is the answer to an earlier request', schema: { const: 'true' } },
              }),
              links: {
                get: onCreated('getEvent', false),
                replace: onCreated('replaceEvent', true),
                change: onCreated('changeEvent', true),
                delete: onCreated('deleteEvent', true),
              },
            },
            ...problemResponses({
              400: 'malformed JSON, a body the schema refuses (every field named in errors), endsAt not after startsAt, or a bad Idempotency-Key',
              413: writeProblems[413],
              415: writeProblems[415],
              ...auth,
              422: 'this Idempotency-Key was used with another body',
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/events/{id}': {
        get: {
          operationId: 'getEvent',
          summary: 'One event',
          parameters: [idParam],
          responses: { '200': withEvent('the event; ETag is its version'), ...problemResponses({ 404: 'no such event', ...unavailable }) },
        },
        put: {
          operationId: 'replaceEvent',
          summary: 'Replace an event',
          ...writer,
          parameters: [idParam, ifMatch],
          requestBody: { required: true, content: json('EventReplacement') },
          responses: { '200': withEvent('replaced'), ...problemResponses(writeProblems) },
        },
        patch: {
          operationId: 'changeEvent',
          summary: 'Change some fields (JSON merge patch)',
          ...writer,
          parameters: [idParam, ifMatch],
          requestBody: {
            required: true,
            content: { ...json('EventPatch'), 'application/merge-patch+json': json('EventPatch')['application/json'] },
          },
          responses: { '200': withEvent('changed'), ...problemResponses(writeProblems) },
        },
        delete: {
          operationId: 'deleteEvent',
          summary: 'Delete an event',
          ...writer,
          parameters: [idParam, ifMatch],
          responses: {
            '204': { description: 'deleted' },
            ...problemResponses({
              400: 'If-Match is not an ETag (an empty value too)',
              ...auth,
              404: writeProblems[404],
              412: writeProblems[412],
              ...unavailable,
            }),
          },
        },
      },
    },
    components: {
      schemas: {
        // Examples set here, not by .meta(): zod leaves them out of the input side of a schema that transforms.
        EventInput: { ...withOrganizerRule(schemaOf(eventInput)), examples: [exampleEvent] },
        EventReplacement: { ...withOrganizerRule(schemaOf(eventInput.safeExtend(bodyVersion))), examples: [exampleEvent] },
        EventPatch: {
          ...withOrganizerRule(schemaOf(eventPatch.extend(bodyVersion))),
          examples: [{ name: 'Jazz at the harbour (late show)', capacity: 250 }],
        },
        Event: schemaOf(event, 'output'),
        EventPage: schemaOf(eventPage, 'output'),
        ...problemComponent,
      },
      securitySchemes: bearerSecurityScheme,
    },
  };
}
