/**
 * The errors of a bounded wait on PostgreSQL (lib/pg.ts poolTimeouts). Each means "the database did
 * not answer in time", never "the request is wrong": the API answers 503 with Retry-After.
 */

/** The client stopped waiting for a statement's answer (pg's query_timeout); the server may still run it. */
export function clientTimedOut(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
}

/** No connection in time: none free in the pool, or a new one not established (pg-pool's two messages). */
export function connectTimedOut(error: unknown): boolean {
  return (
    error instanceof Error &&
    /^(timeout exceeded when trying to connect|Connection terminated due to connection timeout)/.test(error.message)
  );
}

/**
 * The server gave up on a statement: 57014 (statement_timeout, or a cancel) or 55P03 (lock_timeout,
 * the lock held by someone else).
 */
export function serverTimedOut(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === '57014' || code === '55P03';
}

/** Any of the three. */
export function databaseTimedOut(error: unknown): boolean {
  return clientTimedOut(error) || connectTimedOut(error) || serverTimedOut(error);
}
