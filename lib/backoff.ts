export interface BackoffOptions {
  /** The delay before the first retry (attempt 0); default 100 ms. */
  baseMs?: number;
  /** No delay is longer; default 10 s. */
  maxMs?: number;
  /** Up to this fraction is taken off at random, so retries that failed together spread out; default 0.2. */
  jitter?: number;
  /** For tests: a source of numbers in [0, 1). */
  random?: () => number;
}

/**
 * Capped exponential backoff: base·2^attempt, at most maxMs, less a random jitter fraction. A short
 * base lets a passing failure clear quickly; doubling keeps a lasting one from storming. Jitter only
 * shortens, so the cap holds.
 */
export function backoffMs(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 100, maxMs = 10_000, jitter = 0.2, random = Math.random } = options;
  // The exponent is bounded so that a long outage cannot overflow to Infinity (0·Infinity is NaN).
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 52));
  const fraction = Math.min(1, Math.max(0, jitter));
  return Math.max(0, exponential * (1 - fraction * random()));
}

/** Waits `ms`; an abort ends the wait early and quietly, so a stopping loop need not catch. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
