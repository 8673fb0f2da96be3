/**
 * Whether an error means "PostgreSQL is not reachable right now" (restarting, shutting down, the
 * connection dropped) rather than a bug: the API answers those with 503 and Retry-After, not 500.
 */
export function databaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, cannot connect now).
    if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(error.message);
}

/**
 * Whether PostgreSQL refused a value as data (SQLSTATE class 22, data exception: a time zone
 * displacement out of range, a malformed timestamp or uuid, …). Validation should have caught it;
 * when it did not, the input is still at fault, so the API answers 400, never 500.
 */
export function badInputForDatabase(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
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
