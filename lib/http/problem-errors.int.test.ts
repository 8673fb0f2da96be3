// @needs postgres
/**
 * problemErrors on real PostgreSQL errors: input the database refuses — however it got past
 * validation — is a 400 naming what, never the value or the SQL, and logged at warn; a conflict
 * or a bug is still the service's to name, or a 500.
 */
import { Hono } from 'hono';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../services/catalog/testing/fixtures.ts';
import { problemErrors } from './problem-errors.ts';

let pool: pg.Pool;
const logged: Record<string, unknown>[] = [];
const app = new Hono();
problemErrors(app, { log: pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) }) });
// Each route sends its query parameter to PostgreSQL as it is: no validation in front, to see what the library alone does.
const statements: Record<string, string> = {
  uuid: 'SELECT $1::uuid',
  time: 'SELECT $1::timestamptz',
  text: 'INSERT INTO parents (name) VALUES ($1)',
  json: 'SELECT $1::jsonb',
  long: "INSERT INTO parents (name) VALUES (repeat('x', 20) || $1)",
  check: 'INSERT INTO parents (name) VALUES ($1)',
  reference: 'INSERT INTO children (parent_id) VALUES ($1::uuid)',
  unique: "INSERT INTO parents (id, name) VALUES ('00000000-0000-4000-8000-000000000000', $1)",
  referenced: "DELETE FROM parents WHERE id = '00000000-0000-4000-8000-000000000001' AND $1::text IS NOT NULL",
};
app.get('/:statement', async (c) => c.json((await pool.query(statements[c.req.param('statement')] ?? '', [c.req.query('v')])).rows));

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 2 });
  await pool.query(`
    CREATE TABLE parents (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name varchar(24) NOT NULL CONSTRAINT name_not_forbidden CHECK (name <> 'forbidden'));
    CREATE TABLE children (id serial PRIMARY KEY, parent_id uuid NOT NULL REFERENCES parents (id));
    INSERT INTO parents (id, name) VALUES ('00000000-0000-4000-8000-000000000000', 'first'), ('00000000-0000-4000-8000-000000000001', 'second');
    INSERT INTO children (parent_id) VALUES ('00000000-0000-4000-8000-000000000001');
  `);
});
afterAll(async () => {
  await pool?.end();
});

const secret = 's3cret';
describe('PostgreSQL refusing input, through problemErrors', () => {
  it.each([
    ['uuid', `-${'-'.repeat(35)}`, 'the database refused a value that is not a valid uuid', '22P02'],
    ['time', `yesterday ${secret}`, 'the database refused a malformed date or time', '22007'],
    ['time', '0000-01-01T00:00:00Z', 'the database refused a date or time out of range', '22008'],
    ['time', '2027-03-01T19:00:00+16:00', 'the database refused a time zone offset out of range', '22009'],
    ['text', `${secret}\u0000`, 'the database refused text holding a character it cannot store (U+0000, NUL)', '22021'],
    ['json', `{"a":"${secret}\\u0000"}`, 'the database refused text holding a character it cannot store (U+0000, NUL)', '22P05'],
    ['long', `${secret}-and-more-than-enough`, 'the database refused a string longer than the database allows', '22001'],
    ['check', 'forbidden', 'the database refused a value that breaks the rule name_not_forbidden', '23514'],
    [
      'reference',
      '00000000-0000-4000-8000-00000000000f',
      'the database refused a reference (parent_id) to something that does not exist',
      '23503',
    ],
  ])('%s=%j → 400: %s', async (statement, value, detail, code) => {
    logged.length = 0;
    const response = await app.request(`/${statement}?v=${encodeURIComponent(value)}`);
    const text = await response.text();
    expect([response.status, response.headers.get('content-type')], text).toEqual([400, 'application/problem+json']);
    expect(JSON.parse(text)).toMatchObject({ status: 400, title: 'Invalid request', detail });
    expect(text).not.toMatch(/s3cret|SELECT|INSERT|parents|children|violates/);
    expect(logged).toMatchObject([{ level: 40, database: { code } }]);
    expect(JSON.stringify(logged)).not.toContain(secret);
  });

  it.each([
    ['unique', 'another', '23505'],
    ['referenced', 'x', '23503'],
  ])('%s: not the input at fault → a logged 500, as before', async (statement, value, code) => {
    logged.length = 0;
    const response = await app.request(`/${statement}?v=${value}`);
    expect(response.status).toBe(500);
    expect(logged).toMatchObject([{ level: 50, err: { code } }]);
  });
});
