import { createHash } from 'node:crypto';
import { HttpProblem } from './problem.ts';

/** An Idempotency-Key (scoped to its caller) and the hash of the request it came with. */
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

/**
 * Reads the Idempotency-Key header (1 to 200 characters; `required` for money movements). The key
 * lives in its caller's `scope` (lib/authorization.ts idempotencyScope): two callers' equal keys
 * are two requests. With the request's canonical hash, a retry is answered from what the first
 * stored, and the same key with another request is recognised as a mismatch (422).
 */
export function idempotencyKey(
  header: string | undefined,
  request: unknown,
  { required = false, scope = '' }: { required?: boolean; scope?: string } = {},
): IdempotencyKey | undefined {
  if (header === undefined) {
    if (required) throw new HttpProblem(400, 'Invalid request', 'this request needs an Idempotency-Key header');
    return undefined;
  }
  if (header.length < 1 || header.length > 200)
    throw new HttpProblem(400, 'Invalid request', 'Idempotency-Key must be 1 to 200 characters');
  // A header value holds no line break, so the scope cannot be forged from inside the key.
  return { key: scope ? `${scope}\n${header}` : header, hash: createHash('sha256').update(canonicalJson(request)).digest('hex') };
}

/** What a stored key means for a new request: replay the first answer, or 422 for another request. */
export function replayOrMismatch<T>(stored: { hash: string; answer: T }, key: IdempotencyKey): T {
  if (stored.hash !== key.hash)
    throw new HttpProblem(422, 'Idempotency key reused', 'this Idempotency-Key was used with a different request');
  return stored.answer;
}
