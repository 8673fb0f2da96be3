// @needs postgres
/**
 * The teachers' writes on a real PostgreSQL, one statement each: creating writes the teacher and its
 * outbox record (the teacher the API answers), an address the tenant already uses refuses both;
 * a change applies only to the version it read, so concurrent changes end as a row lock made them.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordStatements } from '../../devkit/postgres.ts';
import { ContractRegistry } from '../../lib/contracts.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teacherContracts } from './events.ts';
import { migrate } from './migrations.ts';
import { EmailTaken, NotFound, TeacherStore, VersionConflict } from './store.ts';

let pool: pg.Pool;
let store: TeacherStore;
let statements: string[] = [];
const registry = new ContractRegistry(Object.values(teacherContracts));

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 2 });
  recordStatements(pool, (text) => statements.push(text));
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

describe('changing a teacher', () => {
  const kinds = async (id: string) =>
    (await recordsOf(id)).map((r) => `${r.type.split('.').at(-2)} ${(r.data as { version: number }).version}`);

  it('from the read the API made, one statement; the record is the teacher answered', async () => {
    const teacher = await store.create(input());
    statements = [];
    const updated = await store.update(teacher, { fullName: 'Grace Brewster Hopper' }, 1);
    expect(statements).toHaveLength(1);
    expect(updated).toEqual({ ...teacher, fullName: 'Grace Brewster Hopper', version: 2, updatedAt: expect.any(String) });
    expect((await recordsOf(teacher.id)).at(-1)?.data).toEqual(updated);
  });

  it('concurrent changes without a version all apply in turn; with one version, one applies and the others conflict', async () => {
    const teacher = await store.create(input());
    const all = await Promise.all(Array.from({ length: 5 }, (_, i) => store.update(teacher, { fullName: `Name ${i}` })));
    expect(all.map((t) => t.version).sort()).toEqual([2, 3, 4, 5, 6]);
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.update(teacher.id, { fullName: `Other ${i}` }, 6)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) expect(o.reason).toMatchObject({ current: 7 });
    expect(await kinds(teacher.id)).toEqual(['created 1', ...[2, 3, 4, 5, 6, 7].map((v) => `updated ${v}`)]);
  });

  it('an address taken by another teacher refuses the change and writes no record', async () => {
    const [a, b] = [await store.create(input()), await store.create(input())];
    await expect(store.update(b, { email: a.email })).rejects.toBeInstanceOf(EmailTaken);
    expect(await store.get(b.id)).toEqual(b);
    expect(await kinds(b.id)).toEqual(['created 1']);
  });

  it('a delete from a stale read: a conflict for a stale version, else a tombstone after the other change; then 404', async () => {
    const teacher = await store.create(input());
    await store.update(teacher.id, { fullName: 'Moved On' });
    await expect(store.delete(teacher, 1)).rejects.toBeInstanceOf(VersionConflict);
    await store.delete(teacher);
    expect(await store.get(teacher.id)).toBeUndefined();
    await expect(store.update(teacher, { fullName: 'Too late' })).rejects.toBeInstanceOf(NotFound);
    await expect(store.delete(teacher.id)).rejects.toBeInstanceOf(NotFound);
    expect(await kinds(teacher.id)).toEqual(['created 1', 'updated 2', 'deleted 3']);
  });
});
