import { z } from 'zod';
import { eventInput, eventPatch, listQuery } from './schema.ts';

const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

/** OpenAPI 3.1, generated from the same zod schemas that validate requests. */
export function openApiDocument() {
  const input = z.toJSONSchema(eventInput, { io: 'input' });
  const patch = z.toJSONSchema(eventPatch, { io: 'input' });
  const event = {
    allOf: [
      { $ref: '#/components/schemas/EventInput' },
      {
        type: 'object',
        required: ['id', 'version', 'createdAt', 'updatedAt'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          version: { type: 'integer', minimum: 1 },
          createdAt: { type: 'string', format: 'date-time' },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
    ],
  };
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((code) => [
        String(code),
        { description: 'problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      ]),
    );
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const ifMatch = {
    name: 'If-Match',
    in: 'header',
    required: false,
    schema: { type: 'string' },
    description: 'The ETag (version) last seen; 412 if stale',
  };
  const queryParams = Object.entries((z.toJSONSchema(listQuery, { io: 'input' }) as { properties: Record<string, object> }).properties).map(
    ([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      schema,
    }),
  );
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
          summary: 'List events, by start time',
          parameters: queryParams,
          responses: {
            '200': {
              description: 'a page',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Event' } }, nextCursor: { type: 'string' } },
                  },
                },
              },
            },
            ...errors(400),
          },
        },
        post: {
          summary: 'Create an event',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }],
          requestBody: { required: true, content: json('EventInput') },
          responses: { '201': { description: 'created', content: json('Event') }, ...errors(400, 413, 415, 422) },
        },
      },
      '/api/v1/events/{id}': {
        get: {
          summary: 'One event',
          parameters: [idParam],
          responses: { '200': { description: 'the event; ETag is its version', content: json('Event') }, ...errors(404) },
        },
        put: {
          summary: 'Replace an event',
          parameters: [idParam, ifMatch],
          requestBody: { required: true, content: json('EventInput') },
          responses: { '200': { description: 'replaced', content: json('Event') }, ...errors(400, 404, 409, 412, 413, 415) },
        },
        patch: {
          summary: 'Change some fields',
          parameters: [idParam, ifMatch],
          requestBody: { required: true, content: json('EventPatch') },
          responses: { '200': { description: 'changed', content: json('Event') }, ...errors(400, 404, 409, 412, 413, 415) },
        },
        delete: {
          summary: 'Delete an event',
          parameters: [idParam, ifMatch],
          responses: { '204': { description: 'deleted' }, ...errors(404, 412) },
        },
      },
    },
    components: { schemas: { EventInput: input, EventPatch: patch, Event: event, Problem: problem } },
  };
}
