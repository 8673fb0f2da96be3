/**
 * client-go's client-side rate limit: `qps` tokens a second, at most `burst` saved up. Each
 * request takes one; `reserve` says how long the caller must wait for its token (0 when one is
 * there), so callers queue in order without a timer per token.
 */
export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private at: number;

  constructor(qps: number, burst: number, now = Date.now()) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`a token bucket needs qps > 0 and burst ≥ 1 (got ${qps}, ${burst})`);
    this.qps = qps;
    this.burst = burst;
    this.tokens = burst;
    this.at = now;
  }

  /** Takes a token (possibly one not yet earned: the balance goes negative) and returns the wait in ms. */
  reserve(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.qps);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  take(): Promise<void> {
    const wait = this.reserve();
    return wait === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  }
}
