import { createHash } from 'node:crypto';
import { canonicalJson, type IdempotencyKey } from '../idempotency.ts';
import { HttpProblem } from './problem.ts';

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
