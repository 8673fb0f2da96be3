import { z } from 'zod';

/** ISO 4217, e.g. "EUR". */
export const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. "EUR"');

/** Integer minor units (cents), never floats; positive and exact in JSON (at most 2^53 − 1). */
export const amountMinor = z.int('an integer number of minor units, e.g. 2500 for 25.00').positive().max(Number.MAX_SAFE_INTEGER);

/** A PostgreSQL bigint (read as text by pg) as a number, refusing anything that would not be exact. */
export function minorFromDb(value: string | number | bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`amount ${value} is beyond exact integer range`);
  return n;
}
