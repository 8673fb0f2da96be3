import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows `limit` attempts per window and tells how long to wait after that', () => {
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000 });
    expect([0, 1, 2].map((t) => limiter.attempt('a', t * 1000).allowed)).toEqual([true, true, true]);
    expect(limiter.attempt('a', 10_000)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(limiter.attempt('b', 10_000).allowed).toBe(true);
    expect(limiter.attempt('a', 60_000).allowed).toBe(true);
  });

  it('forgets a key on reset', () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 });
    limiter.attempt('a', 0);
    expect(limiter.attempt('a', 1).allowed).toBe(false);
    limiter.reset('a');
    expect(limiter.attempt('a', 2).allowed).toBe(true);
  });

  it('waits at least a second, never zero', () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000 });
    limiter.attempt('a', 0);
    expect(limiter.attempt('a', 999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
