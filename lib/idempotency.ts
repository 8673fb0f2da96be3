import { HttpProblem } from './http/problem.ts';

/**
 * Idempotent requests, the stores' side: a key (scoped to its caller) stored with the hash of the
 * request it came with and the first answer. Reading the key from a request is lib/http/idempotency-key.ts.
 */
export interface IdempotencyKey {
  key: string;
  hash: string;
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The request as a canonical string: object members sorted, UUIDs in lower case. A client that
 * retries the same request with its fields in another order, or its ids in capitals, sends the
 * same request and must get the first answer, not 422.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  if (typeof value === 'string' && uuidShape.test(value)) return JSON.stringify(value.toLowerCase());
  return JSON.stringify(value) ?? 'null';
}

/** What a stored key means for a new request: replay the first answer, or 422 for another request. */
export function replayOrMismatch<T>(stored: { hash: string; answer: T }, key: IdempotencyKey): T {
  if (stored.hash !== key.hash)
    throw new HttpProblem(422, 'Idempotency key reused', 'this Idempotency-Key was used with a different request');
  return stored.answer;
}
