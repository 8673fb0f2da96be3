// @needs postgres
/**
 * Creating a teacher on a real PostgreSQL: one statement writes the teacher and its outbox record,
 * the record is the teacher the API answers, and an address the tenant already uses refuses both.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ContractRegistry } from '../../lib/contracts.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teacherContracts } from './events.ts';
import { migrate } from './migrations.ts';
import { EmailTaken, TeacherStore } from './store.ts';

let pool: pg.Pool;
let store: TeacherStore;
let statements: string[] = [];
const registry = new ContractRegistry(Object.values(teacherContracts));

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 2 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      statements.push(typeof first === 'string' ? first : first.text);
      return query(...args);
    }) as never;
  });
  await migrate(pool);
  store = new TeacherStore(pool);
});
afterAll(() => pool.end());

const input = (overrides: Record<string, string> = {}) => ({
  tenantId: 'school-a',
  fullName: 'Grace Hopper',
  email: `grace.${randomUUID().slice(0, 8)}@school.example`,
  phoneNumber: '+4915112345678',
  ...overrides,
});
/** The outbox records of a teacher, decoded. */
async function recordsOf(id: string) {
  const { rows } = await pool.query<{ key: string; value: string; headers: Record<string, string> }>(
    'SELECT key, value, headers FROM outbox WHERE key = $1 ORDER BY id',
    [id],
  );
  return rows.map((row) => registry.decode(row));
}

describe('creating a teacher', () => {
  it('is one statement: the teacher and its record, which carries the teacher as answered', async () => {
    statements = [];
    const created = await store.create(input(), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(statements).toHaveLength(1);
    expect(await store.get(created.id)).toEqual(created);
    const [record, ...more] = await recordsOf(created.id);
    expect(more).toEqual([]);
    expect(record).toMatchObject({ type: teacherContracts.created.type, subject: created.id, data: created });
    expect(record?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('an address the tenant already uses is EmailTaken and writes neither teacher nor record; another tenant may use it', async () => {
    const first = await store.create(input());
    const before = await pool.query('SELECT (SELECT count(*) FROM teachers) AS teachers, (SELECT count(*) FROM outbox) AS outbox');
    await expect(store.create(input({ email: first.email }))).rejects.toBeInstanceOf(EmailTaken);
    const after = await pool.query('SELECT (SELECT count(*) FROM teachers) AS teachers, (SELECT count(*) FROM outbox) AS outbox');
    expect(after.rows).toEqual(before.rows);
    expect(await store.create(input({ email: first.email, tenantId: 'school-b' }))).toMatchObject({ email: first.email });
    // Once its teacher is deleted, the address is free again.
    await store.delete(first.id);
    expect(await store.create(input({ email: first.email }))).toMatchObject({ email: first.email, version: 1 });
  });
});
