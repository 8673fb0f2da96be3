import { describe, expect, it } from 'vitest';
import { databaseUnavailable, inputRefusedByDatabase, refusedByDatabase } from './database-errors.ts';

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
  });

  it('recognises a bounded wait that ran out (pool, connection, statement, lock)', () => {
    expect(databaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(databaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(databaseUnavailable(withCode('canceling statement due to statement timeout', '57014'))).toBe(true);
    expect(databaseUnavailable(withCode('canceling statement due to lock timeout', '55P03'))).toBe(true);
  });

  it('leaves real failures alone', () => {
    expect(databaseUnavailable(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(databaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(databaseUnavailable('a string')).toBe(false);
  });
});

describe('inputRefusedByDatabase', () => {
  const refused = (message: string, code: string, fields: Record<string, string> = {}) =>
    inputRefusedByDatabase(Object.assign(new Error(message), { code, ...fields }));

  it('recognises a data exception (SQLSTATE class 22) as caused by the input, and says what was refused', () => {
    expect(refused('time zone displacement out of range: "2027-03-11T09:24:39+16:00"', '22009')?.detail).toBe(
      'the database refused a time zone offset out of range',
    );
    expect(refused('invalid input syntax for type timestamp with time zone: "x"', '22007')?.detail).toBe(
      'the database refused a malformed date or time',
    );
    expect(refused('date/time field value out of range: "2027-02-30"', '22008')?.detail).toBe(
      'the database refused a date or time out of range',
    );
    expect(refused('invalid input syntax for type uuid: "x"', '22P02')?.detail).toBe(
      'the database refused a value that is not a valid uuid',
    );
    expect(refused('invalid input syntax for type timestamp with time zone: "x"', '22P02')?.detail).toBe(
      'the database refused a value that is not a valid timestamp with time zone',
    );
    expect(refused('invalid input value for enum mood: "x"', '22P02')?.detail).toBe(
      'the database refused a value that is not valid for its type',
    );
    expect(refused('invalid byte sequence for encoding "UTF8": 0x00', '22021')?.detail).toContain('U+0000');
    expect(refused('something new', '2200X')?.detail).toBe('the database refused a value it cannot take (SQLSTATE 2200X)');
  });

  it('recognises a foreign key to nothing and a broken CHECK as the input at fault, naming columns and rules, never values', () => {
    const reference = refused('insert or update on table "payments" violates foreign key constraint "payments_merchant_id_fkey"', '23503', {
      detail: 'Key (merchant_id)=(4b1c…) is not present in table "merchants".',
      constraint: 'payments_merchant_id_fkey',
      table: 'payments',
    });
    expect(reference).toEqual({
      detail: 'the database refused a reference (merchant_id) to something that does not exist',
      fields: { code: '23503', constraint: 'payments_merchant_id_fkey', table: 'payments' },
    });
    expect(refused('new row violates check constraint "amount_positive"', '23514', { constraint: 'amount_positive' })?.detail).toBe(
      'the database refused a value that breaks the rule amount_positive',
    );
  });

  it('gives the log only names PostgreSQL chose, never a message or a detail that may quote the value', () => {
    const result = refused('invalid input syntax for type uuid: "secret"', '22P02', {
      column: 'id',
      detail: 'secret',
      table: 'a "quoted" name',
    });
    expect(result?.fields).toEqual({ code: '22P02', column: 'id' });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('leaves every other failure alone: conflicts, a row still referenced, bugs, connections', () => {
    expect(refused('duplicate key value violates unique constraint', '23505')).toBeUndefined();
    expect(refused('conflicting key value violates exclusion constraint', '23P01')).toBeUndefined();
    expect(refused('null value in column "x" violates not-null constraint', '23502')).toBeUndefined();
    expect(
      refused('update or delete violates foreign key constraint', '23503', { detail: 'Key (id)=(1) is still referenced from table "b".' }),
    ).toBeUndefined();
    expect(refused('connection failure', '08006')).toBeUndefined();
    expect(refused('syntax error at or near "SELEC"', '42601')).toBeUndefined();
    expect(refused('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')).toBeUndefined();
    expect(inputRefusedByDatabase(new TypeError('x is undefined'))).toBeUndefined();
    expect(inputRefusedByDatabase({ code: '22007' })).toBeUndefined();
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
