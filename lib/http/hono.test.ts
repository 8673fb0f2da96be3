import { Hono } from 'hono';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { limitBody, observeRequests, problemErrors, readJson } from './hono.ts';
import { HttpProblem, withHeaders } from './problem.ts';

class Missing extends Error {}
const log = pino({ level: 'silent' });

function app() {
  const registry = new Registry();
  const api = new Hono();
  api.use(observeRequests(registry));
  problemErrors(api, {
    log,
    translate: (error) =>
      error instanceof Missing ? withHeaders(new HttpProblem(503, 'Unavailable', 'later'), { 'retry-after': '2' }) : undefined,
  });
  api.post('/echo', async (c) => c.json(await readJson(c)));
  api.post('/small', limitBody(16), async (c) => c.json(await readJson(c)));
  api.get('/items/:id', (c) => {
    if (c.req.param('id') === 'gone') throw new Missing('db down');
    if (c.req.param('id') === 'bad') throw new HttpProblem(400, 'Invalid request', 'bad id');
    if (c.req.param('id') === 'bug') throw new Error('secret detail of a bug');
    if (c.req.param('id') === 'pg-down') throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    return c.json({ id: c.req.param('id') });
  });
  return { api, registry };
}

describe('Hono basics', () => {
  it('answers every error as problem+json: a problem as thrown, a translated one with its headers, a bug as a 500 that hides it', async () => {
    const { api } = app();
    const bad = await api.request('/items/bad');
    expect([bad.status, bad.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    expect(await bad.json()).toMatchObject({ title: 'Invalid request', detail: 'bad id', instance: '/items/bad' });
    const gone = await api.request('/items/gone');
    expect([gone.status, gone.headers.get('retry-after')]).toEqual([503, '2']);
    const down = await api.request('/items/pg-down');
    expect([down.status, down.headers.get('retry-after')]).toEqual([503, '1']);
    expect(await down.text()).not.toContain('10.0.0.7');
    const bug = await api.request('/items/bug');
    expect(bug.status).toBe(500);
    expect(await bug.text()).not.toContain('secret');
    const unknown = await api.request('/nowhere');
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
  });

  it('reads JSON bodies: another content type is 415, malformed JSON 400', async () => {
    const { api } = app();
    const post = (body: string, type?: string) =>
      api.request('/echo', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
    expect(await (await post('{"a":1}', 'application/json; charset=utf-8')).json()).toEqual({ a: 1 });
    expect((await post('{"a":1}', 'text/plain')).status).toBe(415);
    expect((await post('{"a":1}')).status).toBe(415);
    expect((await post('{nope', 'application/json')).status).toBe(400);
  });

  it('counts requests by route template, not by path', async () => {
    const { api, registry } = app();
    await api.request('/items/1');
    await api.request('/items/2');
    const metrics = await registry.metrics();
    expect(metrics).toContain('http_requests_total{method="GET",route="/items/:id",status="200"} 2');
    expect(metrics).toContain('http_request_duration_seconds_count{method="GET",route="/items/:id"} 2');
  });

  it('refuses a body over the limit with a 413 problem', async () => {
    const { api } = app();
    const post = (body: string) => api.request('/small', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('{"a":1}')).status).toBe(200);
    const big = await post(JSON.stringify({ a: 'x'.repeat(100) }));
    expect([big.status, big.headers.get('content-type')]).toEqual([413, 'application/problem+json']);
  });
});
