import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.ts';

describe('TokenBucket', () => {
  it('lets a burst through at once, then spaces requests at 1/qps', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.reserve(0), bucket.reserve(0), bucket.reserve(0)]).toEqual([0, 0, 0]);
    expect(bucket.reserve(0)).toBe(100);
    expect(bucket.reserve(0)).toBe(200);
  });

  it('earns tokens back over time, never more than the burst', () => {
    const bucket = new TokenBucket(10, 2, 0);
    bucket.reserve(0);
    bucket.reserve(0);
    expect(bucket.reserve(50)).toBe(50);
    // Ten seconds idle earn 100 tokens, of which 2 are kept.
    expect(bucket.reserve(10_050)).toBe(0);
    expect(bucket.reserve(10_050)).toBe(0);
    expect(bucket.reserve(10_050)).toBe(100);
  });

  it('refuses settings that would never admit a request', () => {
    expect(() => new TokenBucket(0, 5)).toThrow(/qps > 0/);
    expect(() => new TokenBucket(5, 0)).toThrow(/burst ≥ 1/);
  });
});
