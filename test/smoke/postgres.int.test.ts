// @needs postgres
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const client = new pg.Client({ connectionString: inject('databaseUrl') });

beforeAll(async () => {
  await client.connect();
  await client.query('CREATE TABLE IF NOT EXISTS smoke (id int PRIMARY KEY, note text NOT NULL)');
  await client.query('TRUNCATE smoke');
});
afterAll(async () => {
  await client.query('DROP TABLE smoke');
  await client.end();
});

describe('pg against a real PostgreSQL', () => {
  it('keeps what a committed transaction wrote', async () => {
    await client.query('BEGIN');
    await client.query("INSERT INTO smoke VALUES (1, 'kept')");
    await client.query('COMMIT');
    const { rows } = await client.query('SELECT note FROM smoke WHERE id = 1');
    expect(rows).toEqual([{ note: 'kept' }]);
  });

  it('drops what a rolled-back transaction wrote', async () => {
    await client.query('BEGIN');
    await client.query("INSERT INTO smoke VALUES (2, 'dropped')");
    const inside = await client.query('SELECT count(*)::int AS n FROM smoke WHERE id = 2');
    expect(inside.rows[0].n).toBe(1);
    await client.query('ROLLBACK');
    const after = await client.query('SELECT count(*)::int AS n FROM smoke WHERE id = 2');
    expect(after.rows[0].n).toBe(0);
  });

  it('runs a real server, not an emulation', async () => {
    const { rows } = await client.query('SHOW server_version_num');
    expect(Number(rows[0].server_version_num)).toBeGreaterThanOrEqual(150000);
  });
});
