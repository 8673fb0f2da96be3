import { Hono } from 'hono';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { limitBody, observeRequests, problemErrors, readJson, untextualStrings } from './hono.ts';
import { HttpProblem, withHeaders } from './problem.ts';

class Missing extends Error {}
/** What the app logged, each line as JSON. */
const logged: Record<string, unknown>[] = [];
const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });

/** PostgreSQL's errors as pg throws them (DatabaseError: a message, a SQLSTATE and the names it gives), each quoting a secret value. */
const databaseRefusals: Record<string, { message: string; fields: Record<string, string> }> = {
  'pg-uuid': { message: 'invalid input syntax for type uuid: "s3cret-value"', fields: { code: '22P02', routine: 'string_to_uuid' } },
  'pg-nul': { message: 'invalid byte sequence for encoding "UTF8": 0x00', fields: { code: '22021' } },
  'pg-json-nul': {
    message: 'unsupported Unicode escape sequence',
    fields: { code: '22P05', detail: '\\u0000 cannot be converted to text.' },
  },
  'pg-year': { message: 'date/time field value out of range: "0000-01-01T00:00:00Z s3cret-value"', fields: { code: '22008' } },
  'pg-long': { message: 'value too long for type character varying(200)', fields: { code: '22001' } },
  'pg-other-22': { message: 'something "s3cret-value"', fields: { code: '22023' } },
  'pg-fk': {
    message: 'insert or update on table "payments" violates foreign key constraint "payments_merchant_id_fkey"',
    fields: {
      code: '23503',
      table: 'payments',
      constraint: 'payments_merchant_id_fkey',
      detail: 'Key (merchant_id)=(s3cret-value) is not present in table "merchants".',
    },
  },
  'pg-check': {
    message: 'new row for relation "merchants" violates check constraint "merchants_name_check"',
    fields: { code: '23514', table: 'merchants', constraint: 'merchants_name_check', detail: 'Failing row contains (s3cret-value).' },
  },
  'pg-still-referenced': {
    message: 'update or delete on table "merchants" violates foreign key constraint "payments_merchant_id_fkey" on table "payments"',
    fields: { code: '23503', detail: 'Key (id)=(s3cret-value) is still referenced from table "payments".' },
  },
  'pg-unique': {
    message: 'duplicate key value violates unique constraint "teachers_email"',
    fields: { code: '23505', constraint: 'teachers_email', detail: 'Key (email)=(s3cret-value) already exists.' },
  },
  'pg-syntax': { message: 'syntax error at or near "SELEC"', fields: { code: '42601' } },
};

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
    const refused = databaseRefusals[c.req.param('id')];
    if (refused) throw Object.assign(new Error(refused.message), refused.fields);
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

  it.each([
    ['pg-uuid', 'the database refused a value that is not a valid uuid'],
    ['pg-nul', 'the database refused text holding a character it cannot store (U+0000, NUL)'],
    ['pg-json-nul', 'the database refused text holding a character it cannot store (U+0000, NUL)'],
    ['pg-year', 'the database refused a date or time out of range'],
    ['pg-long', 'the database refused a string longer than the database allows'],
    ['pg-other-22', 'the database refused a value it cannot take (SQLSTATE 22023)'],
    ['pg-fk', 'the database refused a reference (merchant_id) to something that does not exist'],
    ['pg-check', 'the database refused a value that breaks the rule merchants_name_check'],
  ])('answers input PostgreSQL refused (%s) with a 400 naming what, never the value or the SQL, logged at warn', async (id, detail) => {
    const { api } = app();
    logged.length = 0;
    const response = await api.request(`/items/${id}`);
    const text = await response.text();
    expect([response.status, response.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
    expect(JSON.parse(text)).toMatchObject({ title: 'Invalid request', status: 400, detail, instance: `/items/${id}` });
    expect(text).not.toMatch(/s3cret|SELECT|INSERT|violates|table/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, path: `/items/${id}`, database: { code: databaseRefusals[id]?.fields.code } });
    expect(JSON.stringify(logged)).not.toContain('s3cret');
  });

  it.each(['pg-unique', 'pg-still-referenced', 'pg-syntax'])(
    'leaves what is not the input at fault (%s) to the service, or a 500',
    async (id) => {
      const { api } = app();
      logged.length = 0;
      const response = await api.request(`/items/${id}`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain('s3cret');
      expect(logged[0]).toMatchObject({ level: 50 });
    },
  );

  it('refuses JSON strings that are not text: U+0000 or an unpaired surrogate, in a value or a name, each by its path', async () => {
    const { api } = app();
    const post = (body: string | Uint8Array) =>
      api.request('/echo', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const refused = async (body: string | Uint8Array) => {
      const response = await post(body);
      expect([response.status, response.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
      return (await response.json()) as { title: string; errors?: { path: string; message: string }[] };
    };
    expect((await refused(JSON.stringify({ name: 'Ada\u0000Lovelace' }))).errors).toEqual([
      { path: 'name', message: expect.stringContaining('U+0000') },
    ]);
    // Escaped in JSON or not, alone at the start, the end, or a low surrogate first.
    for (const lone of ['\\ud800', '\\udfff', 'a\\udc00\\ud800b', 'x\\ud83d']) {
      const { errors } = await refused(`{"outer":{"list":["ok","${lone}"]}}`);
      expect(errors).toEqual([{ path: 'outer.list.1', message: expect.stringContaining('unpaired UTF-16 surrogate') }]);
    }
    const names = await refused(`{"a\\u0000b":1,"ok":"\\ud800"}`);
    expect(names.errors?.map((e) => e.path)).toEqual(['a\\u0000b', 'ok']);
    expect((await refused('"\\u0000"')).errors).toEqual([{ path: '(body)', message: expect.stringContaining('U+0000') }]);
    // Bytes that are not UTF-8 would become U+FFFD unnoticed.
    expect((await refused(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]))).title).toBe(
      'Malformed JSON',
    );
    // Text that is text passes as it is: a surrogate pair (an emoji), U+FFFD itself, other control characters.
    const fine = { name: 'Ada 😀 \ufffd \u0001 \u007f', nested: [{ 'key 😀': 'value' }] };
    const echoed = await post(JSON.stringify(fine));
    expect([echoed.status, await echoed.json()]).toEqual([200, fine]);
  });

  it('finds every untextual string however deep the body nests, without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(50_000)}"\\u0000"${']'.repeat(50_000)}`);
    expect(untextualStrings(deep)).toEqual([{ path: `${'0.'.repeat(49_999)}0`, message: expect.stringContaining('U+0000') }]);
    expect(untextualStrings(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20);
    expect(untextualStrings({ a: [1, true, null, { b: 'text' }] })).toEqual([]);
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
