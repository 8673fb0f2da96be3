/**
 * What the API answers without a database: requests refused before any lookup, the 503 while
 * starting, and the OpenAPI document against the routes the app really has.
 */
import type pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Health } from '../../lib/health.ts';
import type { Accounts } from './accounts.ts';
import { identityApi } from './api.ts';
import type { openApiDocument } from './openapi.ts';

const app = identityApi({
  pool: {} as pg.Pool,
  state: () => undefined,
  accounts: {} as Accounts,
  tenants: new Set(['school-a']),
  registry: new Registry(),
  health: new Health(),
  log: pino({ level: 'silent' }),
});
const post = (path: string, body: string, headers: Record<string, string>) => app.request(path, { method: 'POST', body, headers });

describe('identity API without a database', () => {
  it('refuses a login by phone number with a message that says why', async () => {
    const response = await post(
      '/api/v1/auth/login',
      JSON.stringify({ tenantId: 'school-a', email: 'ada@school.example', phoneNumber: '+4915112345678', password: 'x' }),
      { 'content-type': 'application/json' },
    );
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors).toEqual([
      { path: 'phoneNumber', message: expect.stringMatching(/phone numbers are not unique.*log in with email/) },
    ]);
    // Without an e-mail, by phone alone: refused too.
    const byPhone = await post(
      '/api/v1/auth/login',
      JSON.stringify({ tenantId: 'school-a', phoneNumber: '+4915112345678', password: 'x' }),
      {
        'content-type': 'application/json',
      },
    );
    expect(byPhone.status).toBe(400);
  });

  it('answers the token endpoint in RFC 6749 §5.2 JSON that is a problem too', async () => {
    const response = await post('/oauth/token', JSON.stringify({ grant_type: 'client_credentials' }), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.any(String),
      type: 'https://eventide.dev/problems/invalid-request',
      title: 'Invalid request',
      status: 400,
      detail: expect.any(String),
    });
    const anonymous = await post('/oauth/token', 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await anonymous.json()).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('is 503 with Retry-After while starting', async () => {
    const response = await app.request('/.well-known/jwks.json');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
  });

  it('documents every route it serves, with the answers of each', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as ReturnType<typeof openApiDocument>;
    const paths = document.paths as Record<string, Record<string, { security?: object[]; responses: Record<string, unknown> }>>;
    const documented = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const served = app.routes
      .filter((r) => r.method !== 'ALL' && !['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(new Set(documented)).toEqual(new Set(served));
    for (const [path, item] of Object.entries(paths))
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method} ${path}`;
        expect(operation.responses, where).toHaveProperty('503');
        if (operation.security?.some((s) => 'bearer' in s)) {
          expect(operation.responses, where).toHaveProperty('401');
          expect(operation.responses, where).toHaveProperty('403');
        }
      }
    expect(paths['/oauth/token']?.post?.security).toEqual([{ clientBasic: [] }]);
    expect(Object.keys(document.components.securitySchemes)).toEqual(['bearer', 'clientBasic']);
  });
});
