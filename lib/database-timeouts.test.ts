import { describe, expect, it } from 'vitest';
import { clientTimedOut, connectTimedOut, databaseTimedOut, serverTimedOut } from './database-timeouts.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('database timeouts', () => {
  it("recognises pg's own messages and PostgreSQL's codes, each by its kind", () => {
    expect(clientTimedOut(new Error('Query read timeout'))).toBe(true);
    expect(connectTimedOut(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(connectTimedOut(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(serverTimedOut(withCode('canceling statement due to statement timeout', '57014'))).toBe(true);
    expect(serverTimedOut(withCode('canceling statement due to lock timeout', '55P03'))).toBe(true);
    expect(clientTimedOut(new Error('timeout exceeded when trying to connect'))).toBe(false);
  });

  it('leaves every other failure alone', () => {
    for (const error of [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('could not serialize access', '40001'),
      new Error('Connection terminated unexpectedly'),
      new Error('a Query read timeout happened elsewhere'),
      'Query read timeout',
      { code: '57014' },
    ])
      expect(databaseTimedOut(error)).toBe(false);
  });
});
