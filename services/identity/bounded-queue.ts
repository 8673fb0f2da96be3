/**
 * At most `concurrency` tasks at once, at most `capacity` more waiting in turn; beyond that a task
 * is refused at once (QueueFull, with how long the queue would take to drain), never queued without
 * end. What it bounds here is memory: each running task is one scrypt of tens of MiB on libuv's
 * thread pool. Pure but for the clock.
 */
export class QueueFull extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`too many requests being handled; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class BoundedQueue {
  private readonly concurrency: number;
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  /** A running average of how long a task takes, for Retry-After. */
  private averageMs: number;

  constructor({
    concurrency,
    capacity,
    expectedMs,
    now = () => performance.now(),
  }: {
    concurrency: number;
    capacity: number;
    /** What a task is expected to take before any has run. */
    expectedMs: number;
    now?: () => number;
  }) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error('capacity must be a non-negative integer');
    this.concurrency = concurrency;
    this.capacity = capacity;
    this.averageMs = expectedMs;
    this.now = now;
  }

  /** Tasks running and waiting now. */
  get depth(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Runs `task` when a place is free; QueueFull (synchronously, as a rejection) when none will be soon. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.capacity) throw new QueueFull(this.retryAfterSeconds());
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const started = this.now();
    try {
      return await task();
    } finally {
      this.averageMs = 0.8 * this.averageMs + 0.2 * (this.now() - started);
      // The place passes straight to the next in line (running stays the same), or is freed.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Seconds until everything in the queue now has run, at least 1. */
  private retryAfterSeconds(): number {
    const ahead = this.running + this.waiting.length;
    return Math.max(1, Math.ceil((ahead * this.averageMs) / this.concurrency / 1000));
  }
}
