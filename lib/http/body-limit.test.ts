import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { limitBody } from './body-limit.ts';
import { problemErrors } from './problem-errors.ts';
import { readJson } from './read-json.ts';

function app() {
  const api = new Hono();
  problemErrors(api, { log: pino({ level: 'silent' }) });
  api.post('/small', limitBody(16), async (c) => c.json(await readJson(c)));
  return { api };
}

describe('limitBody', () => {
  it('refuses a body over the limit with a 413 problem', async () => {
    const { api } = app();
    const post = (body: string) => api.request('/small', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('{"a":1}')).status).toBe(200);
    const big = await post(JSON.stringify({ a: 'x'.repeat(100) }));
    expect([big.status, big.headers.get('content-type')]).toEqual([413, 'application/problem+json']);
  });
});
