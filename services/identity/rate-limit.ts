/**
 * A fixed-window counter per key: at most `limit` attempts per `windowMs`. Pure but for the
 * clock, which the caller passes. Kept in memory per replica: with N replicas a client can try N
 * times as often, which the limits allow for.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly limit: number;
  private readonly windowMs: number;

  constructor({ limit, windowMs }: { limit: number; windowMs: number }) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts an attempt: allowed, or refused with the seconds until the window ends. */
  attempt(key: string, now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      this.prune(now);
    }
    if (window.count >= this.limit)
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)) };
    window.count++;
    return { allowed: true };
  }

  /** Forgets a key (a successful login clears its account's failures). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  /** Drops ended windows now and then, so the map stays the size of the recent callers. */
  private prune(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
