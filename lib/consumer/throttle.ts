/**
 * A token bucket that caps records per second per consumer replica (e.g. the indexer's MAX_RECORDS_PER_SECOND).
 * Off by default; it protects a small Elasticsearch from a replay storm, and local mode uses it to
 * make one indexer slower than the catalog so scaling by lag can be watched on one machine.
 */
export class RecordThrottle {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  /** What the bucket holds at most: a one-second burst, and never less than one whole record. */
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(rate: number, now: () => number = () => performance.now()) {
    if (!(rate > 0)) throw new Error(`the record rate must be positive, got ${rate}`);
    this.rate = rate;
    this.now = now;
    // A one-second burst: a batch is never split finer than the rate needs. Below one record a
    // second, a bucket capped at the rate never held a whole token, and the consumer stopped for good.
    this.capacity = Math.max(1, rate);
    this.tokens = this.capacity;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  /** How many of `wanted` documents may go now (at least one when it returns a positive wait of 0). */
  take(wanted: number): { granted: number; waitMs: number } {
    this.refill();
    if (this.tokens < 1) return { granted: 0, waitMs: Math.ceil(((1 - this.tokens) / this.rate) * 1000) };
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    return { granted, waitMs: 0 };
  }
}
