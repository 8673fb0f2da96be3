import { describe, expect, it } from 'vitest';
import { databaseUnavailable } from './database-errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('databaseUnavailable', () => {
  it('recognises a server shutting down or restarting', () => {
    expect(databaseUnavailable(withCode('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(databaseUnavailable(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(databaseUnavailable(withCode('connection failure', '08006'))).toBe(true);
  });

  it('recognises a connection that cannot be made or was lost', () => {
    expect(databaseUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(databaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(databaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(false);
  });

  it('leaves real failures alone', () => {
    expect(databaseUnavailable(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(databaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(databaseUnavailable('a string')).toBe(false);
  });
});
