import { randomUUID } from 'node:crypto';
import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { checkContract } from './openapi-contract.ts';

// A tiny API and its document, to show the check catches what it claims to (and passes a faithful service).
const problem = {
  'application/problem+json': { schema: { type: 'object', required: ['status'], properties: { status: { type: 'integer' } } } },
};
const thing = {
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
};
const document = {
  openapi: '3.1.0',
  info: { title: 'things', version: '1' },
  paths: {
    '/things': {
      post: {
        operationId: 'create',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name'],
                additionalProperties: false,
                properties: { name: { type: 'string', minLength: 1, maxLength: 5 } },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'created',
            content: { 'application/json': { schema: thing } },
            links: { one: { operationId: 'get', parameters: { id: '$response.body#/id' } } },
          },
          '400': { description: 'invalid', content: problem },
        },
      },
    },
    '/things/{id}': {
      get: {
        operationId: 'get',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          '200': { description: 'one', content: { 'application/json': { schema: thing } } },
          '404': { description: 'none', content: problem },
        },
      },
    },
  },
};

function thingsApi(faithful: boolean): Hono {
  const things = new Map<string, { id: string; name: string }>();
  const app = new Hono();
  app.post('/things', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { name?: unknown } | undefined;
    const valid = typeof body?.name === 'string' && body.name.length >= 1 && body.name.length <= 5 && Object.keys(body).length === 1;
    if (faithful && (!valid || c.req.header('content-type') !== 'application/json'))
      return c.json({ status: 400 }, 400, { 'content-type': 'application/problem+json' });
    const created = { id: randomUUID(), name: String(body?.name) };
    things.set(created.id, created);
    return c.json(faithful ? created : { ...created, extra: true }, 201);
  });
  app.get('/things/:id', (c) => {
    const found = things.get(c.req.param('id'));
    if (found) return c.json(found);
    if (!faithful && c.req.param('id') === 'not-a-uuid') return c.text('boom', 500);
    return c.json({ status: 404 }, 404, { 'content-type': 'application/problem+json' });
  });
  return app;
}

const servers: ServerType[] = [];
const start = (app: Hono) =>
  new Promise<string>((listening) => {
    servers.push(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => listening(`http://127.0.0.1:${info.port}`)));
  });
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((closed) => server.close(closed))));
});

describe('the OpenAPI contract check', () => {
  it('finds no violation in a service that does what its document says', async () => {
    const report = await checkContract(document, await start(thingsApi(true)));
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(20);
  });

  it('reports undocumented statuses, bodies off their schema and invalid input accepted', async () => {
    const { violations } = await checkContract(document, await start(thingsApi(false)));
    const has = (text: string) => violations.some((v) => v.includes(text));
    expect(has('POST /things [valid] → 201: body does not match the schema')).toBe(true);
    expect(has('POST /things [body name=""] → 201: a request invalid by the document was not answered with a 4xx')).toBe(true);
    expect(has('POST /things [body with an unknown field] → 201: a request invalid by the document')).toBe(true);
    expect(has('GET /things/{id} [path id="not-a-uuid"] → 500: status not documented')).toBe(true);
  });
});
