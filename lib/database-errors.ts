import { databaseTimedOut } from './database-timeouts.ts';

/**
 * Whether an error means "PostgreSQL is not reachable right now" (restarting, shutting down, the
 * connection dropped) rather than a bug: the API answers those with 503 and Retry-After, not 500.
 */
export function databaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // A bounded wait that ran out (lib/database-timeouts.ts): it did not answer in time.
  if (databaseTimedOut(error)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now).
    if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}

/** What PostgreSQL says about an error besides its message (pg's DatabaseError fields). */
interface DatabaseErrorFields {
  code?: unknown;
  detail?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  dataType?: unknown;
}

/** A value PostgreSQL refused for the caller's input: what to tell the caller, and what to log. */
export interface RefusedInput {
  /** The problem's detail: what was refused, in words; never the value, a query or a table. */
  detail: string;
  /** For the log: the SQLSTATE and the names PostgreSQL gave, never the message (it may quote the value). */
  fields: { code: string; constraint?: string; table?: string; column?: string; dataType?: string };
}

/** Data exceptions (SQLSTATE class 22) by code, as the caller should read them. */
const dataExceptions: Record<string, string> = {
  '22001': 'a string longer than the database allows',
  '22003': 'a number out of range',
  '22007': 'a malformed date or time',
  '22008': 'a date or time out of range',
  '22009': 'a time zone offset out of range',
  '22015': 'an interval out of range',
  '22021': 'text holding a character it cannot store (U+0000, NUL)',
  '22P05': 'text holding a character it cannot store (U+0000, NUL)',
  '22025': 'a pattern with an invalid escape',
  '2201B': 'an invalid regular expression',
  '22P02': 'a value that is not valid for its type',
};

const named = (value: unknown) => (typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_ .]{0,62}$/.test(value) ? value : undefined);

/**
 * Whether PostgreSQL refused a request for the caller's input, and in which words to say so (the
 * API answers 400, never 500): a data exception (SQLSTATE class 22: a malformed uuid or timestamp,
 * a date out of range, text with NUL, …), a foreign key to something the caller named that does
 * not exist (23503; a row still referenced is a conflict, not input), a CHECK the input breaks
 * (23514). Not a unique violation (23505) nor an exclusion (23P01): those are conflicts a service
 * names itself (409), or bugs. Validation should have caught all of these; when it did not, the
 * input is still at fault.
 */
export function inputRefusedByDatabase(error: unknown): RefusedInput | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, detail, constraint, table, column, dataType } = error as DatabaseErrorFields;
  if (typeof code !== 'string') return undefined;
  const fields = {
    code,
    ...(named(constraint) ? { constraint: named(constraint) } : {}),
    ...(named(table) ? { table: named(table) } : {}),
    ...(named(column) ? { column: named(column) } : {}),
    ...(named(dataType) ? { dataType: named(dataType) } : {}),
  };
  if (/^22[0-9A-Z]{3}$/.test(code)) {
    // 22P02 names the type it could not read ("invalid input syntax for type uuid: …"); only the type is repeated.
    const type = code === '22P02' ? /for type ([a-z][a-z0-9 _]*?)\s*[:(]/i.exec(error.message)?.[1] : undefined;
    const what = type ? `a value that is not a valid ${type}` : (dataExceptions[code] ?? `a value it cannot take (SQLSTATE ${code})`);
    return { detail: `the database refused ${what}`, fields };
  }
  if (code === '23503') {
    // A row still referenced by others (a delete, an update of a key) is a conflict for the service to name, not input.
    if (typeof detail === 'string' && detail.includes('is still referenced')) return undefined;
    // "Key (merchant_id)=(…) is not present in table …": the columns, never the value.
    const columns = typeof detail === 'string' ? /^Key \(([A-Za-z0-9_, ]+)\)=/.exec(detail)?.[1] : undefined;
    return {
      detail: `the database refused a reference${columns ? ` (${columns})` : ''} to something that does not exist`,
      fields,
    };
  }
  if (code === '23514')
    return { detail: `the database refused a value that breaks the rule ${fields.constraint ?? 'of a CHECK constraint'}`, fields };
  return undefined;
}

/**
 * Whether PostgreSQL refused a write for what it holds (class 22, data exception, or class 23, an
 * integrity constraint such as a CHECK or a foreign key): trying the same record again gives the
 * same answer, so a consumer sets it aside after its attempts instead of waiting forever.
 */
export function refusedByDatabase(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
