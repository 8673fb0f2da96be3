import { describe, expect, it } from 'vitest';
import { badInputForDatabase, databaseUnavailable, refusedByDatabase } from './database-errors.ts';

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

describe('badInputForDatabase', () => {
  it('recognises a data exception (SQLSTATE class 22) as caused by the input', () => {
    expect(badInputForDatabase(withCode('time zone displacement out of range: "2027-03-11T09:24:39+16:00"', '22009'))).toBe(true);
    expect(badInputForDatabase(withCode('invalid input syntax for type timestamp with time zone: "x"', '22007'))).toBe(true);
    expect(badInputForDatabase(withCode('date/time field value out of range: "2027-02-30"', '22008'))).toBe(true);
    expect(badInputForDatabase(withCode('invalid input syntax for type uuid: "x"', '22P02'))).toBe(true);
  });

  it('leaves every other failure alone', () => {
    expect(badInputForDatabase(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(badInputForDatabase(withCode('connection failure', '08006'))).toBe(false);
    expect(badInputForDatabase(withCode('syntax error at or near "SELEC"', '42601'))).toBe(false);
    expect(badInputForDatabase(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(false);
    expect(badInputForDatabase(new TypeError('x is undefined'))).toBe(false);
    expect(badInputForDatabase({ code: '22007' })).toBe(false);
  });
});

describe('refusedByDatabase', () => {
  const withCode = (code: string) => Object.assign(new Error('refused'), { code });
  it.each([
    ['23514', true],
    ['23505', true],
    ['22007', true],
    ['08006', false],
    ['57P01', false],
    ['40001', false],
    ['ECONNRESET', false],
  ])('SQLSTATE %s → %s', (code, refused) => {
    expect(refusedByDatabase(withCode(code))).toBe(refused);
  });
});
