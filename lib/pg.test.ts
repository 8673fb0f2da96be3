import { describe, expect, it } from 'vitest';
import { sqlOperation } from './pg.ts';

describe('sqlOperation', () => {
  it.each([
    ['SELECT 1', 'SELECT'],
    ['  insert into inbox values ($1)', 'INSERT'],
    ['BEGIN', 'BEGIN'],
    ['WITH changed AS (UPDATE events SET x = 1 RETURNING *) INSERT INTO outbox SELECT * FROM changed', 'UPDATE'],
    ['WITH page AS (SELECT * FROM events) SELECT * FROM page', 'SELECT'],
    ['', 'QUERY'],
  ])('%s → %s', (sql, operation) => {
    expect(sqlOperation(sql)).toBe(operation);
  });
});
