import { randomUUID } from 'node:crypto';
import { type ServerType, serve } from '@hono/node-server';
import { fullFormats } from 'ajv-formats/dist/formats.js';
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
                properties: {
                  name: { type: 'string', minLength: 1, maxLength: 5 },
                  note: { type: 'string' },
                  at: { type: 'string', format: 'date-time' },
                },
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
          '500': { description: 'a bug (documented, and still never an answer)', content: problem },
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

const dateTime = fullFormats['date-time'] as { validate: (value: string) => boolean };
const text = (value: unknown) => typeof value === 'string' && !value.includes('\u0000') && value.isWellFormed();

/** Things: the faithful one refuses what its document does, and text that is not text; the other stores anything, as a database would fail to. */
function thingsApi(faithful: boolean): Hono {
  const things = new Map<string, { id: string; name: string }>();
  const app = new Hono();
  app.post('/things', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { name?: unknown; note?: unknown; at?: unknown } | undefined;
    const { name, note, at, ...rest } = body ?? {};
    const valid =
      typeof name === 'string' &&
      name.length >= 1 &&
      name.length <= 5 &&
      (note === undefined || typeof note === 'string') &&
      (at === undefined || (typeof at === 'string' && dateTime.validate(at))) &&
      Object.keys(rest).length === 0;
    if (faithful && (!valid || c.req.header('content-type') !== 'application/json' || ![name, note ?? '', at ?? ''].every(text)))
      return c.json({ status: 400 }, 400, { 'content-type': 'application/problem+json' });
    // As PostgreSQL would: no NUL in text, no year 0 or 10000.
    const year = typeof at === 'string' ? new Date(at).getUTCFullYear() : 2027;
    if (!faithful && (!text(note ?? '') || !(year >= 1 && year <= 9999)))
      return c.json({ status: 500 }, 500, { 'content-type': 'application/problem+json' });
    const created = { id: randomUUID(), name: String(name) };
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

// A secured tiny API: a bearer-secured read, and an OAuth-style token endpoint that takes a form and HTTP Basic client credentials.
const oauthError = { 'application/json': { schema: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } } } };
const securedDocument = {
  openapi: '3.1.0',
  info: { title: 'secrets', version: '1' },
  components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, clientBasic: { type: 'http', scheme: 'basic' } } },
  paths: {
    '/secret': {
      get: {
        operationId: 'secret',
        security: [{ bearer: [] }],
        responses: {
          '200': { description: 'the secret', content: { 'application/json': { schema: { type: 'object', required: ['secret'] } } } },
          '401': { description: 'no token', content: problem },
        },
      },
    },
    '/token': {
      post: {
        operationId: 'token',
        security: [{ clientBasic: [] }],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: {
                  grant_type: { type: 'string', enum: ['client_credentials'] },
                  ttl: { type: 'integer', minimum: 1, maximum: 60 },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'a token', content: { 'application/json': { schema: { type: 'object', required: ['access_token'] } } } },
          '400': { description: 'invalid_request, unsupported_grant_type', content: oauthError },
          '401': { description: 'invalid_client', content: oauthError },
        },
      },
    },
  },
};
const clientCredentials = `Basic ${btoa('client:secret')}`;

function secretsApi(faithful: boolean): Hono {
  const app = new Hono();
  app.get('/secret', (c) => {
    if (faithful && c.req.header('authorization') !== 'Bearer good')
      return c.json({ status: 401 }, 401, { 'content-type': 'application/problem+json' });
    return c.json({ secret: 42 });
  });
  app.post('/token', async (c) => {
    const form = c.req.header('content-type') === 'application/x-www-form-urlencoded';
    const text = await c.req.text();
    // The unfaithful one reads JSON as well, and takes a missing grant_type for client_credentials.
    const json = !faithful && c.req.header('content-type') === 'application/json';
    const fields: Record<string, string> = form ? Object.fromEntries(new URLSearchParams(text)) : json ? JSON.parse(text) : {};
    if (!form && !json) return c.json({ error: 'invalid_request' }, 400);
    if (c.req.header('authorization') !== clientCredentials) return c.json({ error: 'invalid_client' }, 401);
    const grant = fields.grant_type ?? (faithful ? undefined : 'client_credentials');
    if (grant !== 'client_credentials') return c.json({ error: grant ? 'unsupported_grant_type' : 'invalid_request' }, 400);
    const ttl = fields.ttl === undefined ? 60 : Number(fields.ttl);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 60) return c.json({ error: 'invalid_request' }, 400);
    return c.json({ access_token: 'good' });
  });
  return app;
}
/** Each scheme's credentials where the operation asks for it: a bearer token never goes to the token endpoint. */
const schemesAsked: string[][] = [];
const credentials = (_method: string, _path: string, schemes: string[]) => {
  schemesAsked.push(schemes);
  return schemes.includes('bearer') ? { authorization: 'Bearer good' } : { authorization: clientCredentials };
};

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
    expect(has('GET /things/{id} [path id="not-a-uuid"] → 500: a server error')).toBe(true);
  });

  it('sends strings with NUL, unpaired surrogates and ~10 kB, and date-times at the edges; a 500 is a violation even where documented', async () => {
    const { violations } = await checkContract(document, await start(thingsApi(false)));
    const has = (text: string) => violations.some((v) => v.includes(text));
    const matches = (pattern: RegExp) => violations.some((v) => pattern.test(v));
    // Inside text: "1\u0000x", "2\ud800x" (the checker's made-up text around it).
    expect(matches(/^POST \/things \[body note="\w+\\u0000\w+"\] → 500: a server error/)).toBe(true);
    expect(matches(/^POST \/things \[body note="\w+\\ud800\w+"\] → 500: a server error/)).toBe(true);
    expect(matches(/^POST \/things \[body note="\w+\\udc00\w+"\] → 500: a server error/)).toBe(true);
    expect(has('POST /things [body at="0000-01-01T00:00:00Z"] → 500: a server error')).toBe(true);
    expect(has('POST /things [body at="9999-12-31T23:59:59-14:00"] → 500: a server error')).toBe(true);
    expect(has('POST /things [body at="0001-01-01T00:00:00+14:00"] → 500: a server error')).toBe(true);
    expect(has('POST /things [body at="10000-01-01T00:00:00Z"] → 500: a server error')).toBe(true);
    // ~10 kB where no maxLength: sent, valid, and taken (its only fault the answer's extra field, as for every 201 here).
    const long = violations.filter((v) => /\[body note="\w+x{30,}/.test(v));
    expect(long).toEqual([expect.stringMatching(/→ 201: body does not match the schema/)]);
  });

  it('passes a secured service whose token endpoint takes a form, with each scheme its own credentials', async () => {
    const report = await checkContract(securedDocument, await start(secretsApi(true)), { credentials });
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(10);
    expect(schemesAsked).toContainEqual(['bearer']);
    expect(schemesAsked).toContainEqual(['clientBasic']);
  });

  it('reports a secured operation that answers without credentials, and a form endpoint that takes what the document refuses', async () => {
    const { violations } = await checkContract(securedDocument, await start(secretsApi(false)), { credentials });
    const has = (text: string) => violations.some((v) => v.includes(text));
    expect(has('GET /secret [no credentials] → 200: a secured operation without credentials was not answered 401')).toBe(true);
    expect(has('POST /token [body without grant_type] → 200: a request invalid by the document was not answered with a 4xx')).toBe(true);
    expect(has('POST /token [JSON body] → 200: a request invalid by the document was not answered with a 4xx')).toBe(true);
    // The faithful parts still pass: a form's values are read as the service reads them.
    expect(violations.some((v) => v.includes('[body ttl='))).toBe(false);
  });
});
