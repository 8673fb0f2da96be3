import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { poolTimeouts, postgresEnv, sqlOperation } from './pg.ts';

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

describe('poolTimeouts', () => {
  it('bounds the wait for a connection and for a statement by the budget; the lock wait by half of it', () => {
    expect(poolTimeouts(3_000)).toEqual({
      connectionTimeoutMillis: 3_000,
      statement_timeout: 3_000,
      lock_timeout: 1_500,
      query_timeout: 3_750,
    });
  });

  it("lets the server's statement_timeout fire before the client gives up, by at most a second", () => {
    for (const budget of [100, 1_000, 3_000, 30_000]) {
      const t = poolTimeouts(budget);
      expect(t.query_timeout).toBeGreaterThan(t.statement_timeout);
      expect(t.query_timeout - t.statement_timeout).toBeLessThanOrEqual(1_000);
      expect(t.lock_timeout).toBeLessThan(t.statement_timeout);
    }
  });
});

describe('PG_TIMEOUT_MS', () => {
  const schema = z.object(postgresEnv);
  it('defaults to 3 s and reads a value', () => {
    expect(schema.parse({}).PG_TIMEOUT_MS).toBe(3_000);
    expect(schema.parse({ PG_TIMEOUT_MS: '1500' }).PG_TIMEOUT_MS).toBe(1_500);
  });

  it.each(['0', '50', 'soon', '1.5', '3600000'])('refuses %s', (value) => {
    expect(schema.safeParse({ PG_TIMEOUT_MS: value }).success).toBe(false);
  });
});
