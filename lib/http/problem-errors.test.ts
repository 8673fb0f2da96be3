import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HttpProblem, withHeaders } from './problem.ts';
import { problemErrors } from './problem-errors.ts';

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
  const api = new Hono();
  problemErrors(api, {
    log,
    translate: (error) =>
      error instanceof Missing ? withHeaders(new HttpProblem(503, 'Unavailable', 'later'), { 'retry-after': '2' }) : undefined,
  });
  api.get('/items/:id', (c) => {
    if (c.req.param('id') === 'gone') throw new Missing('db down');
    if (c.req.param('id') === 'bad') throw new HttpProblem(400, 'Invalid request', 'bad id');
    if (c.req.param('id') === 'bug') throw new Error('secret detail of a bug');
    if (c.req.param('id') === 'pg-down') throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' });
    const refused = databaseRefusals[c.req.param('id')];
    if (refused) throw Object.assign(new Error(refused.message), refused.fields);
    return c.json({ id: c.req.param('id') });
  });
  return { api };
}

describe('problemErrors', () => {
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
});
