import { describe, expect, it } from 'vitest';
import { RecordThrottle } from './throttle.ts';

describe('RecordThrottle', () => {
  it('grants a one-second burst, then the rate over time', () => {
    let t = 0;
    const throttle = new RecordThrottle(100, () => t);
    expect(throttle.take(250)).toEqual({ granted: 100, waitMs: 0 });
    expect(throttle.take(10)).toEqual({ granted: 0, waitMs: 10 });
    t += 250;
    expect(throttle.take(100)).toEqual({ granted: 25, waitMs: 0 });
    t += 10_000;
    expect(throttle.take(500).granted).toBe(100);
  });

  it('over a long run lets through rate × seconds documents', () => {
    let t = 0;
    const throttle = new RecordThrottle(40, () => t);
    let total = 0;
    while (t <= 10_000) {
      const { granted, waitMs } = throttle.take(1_000);
      total += granted;
      t += Math.max(waitMs, 5);
    }
    expect(total).toBeGreaterThanOrEqual(40 * 11 - 2);
    expect(total).toBeLessThanOrEqual(40 * 11 + 1);
  });

  it('below one record a second still lets one through every 1/rate seconds', () => {
    let t = 0;
    const throttle = new RecordThrottle(0.1, () => t);
    expect(throttle.take(5)).toEqual({ granted: 1, waitMs: 0 });
    expect(throttle.take(5)).toEqual({ granted: 0, waitMs: 10_000 });
    t += 9_999;
    expect(throttle.take(5).granted).toBe(0);
    t += 1;
    expect(throttle.take(5)).toEqual({ granted: 1, waitMs: 0 });
    // Idle for a minute: still one whole record, not six (the burst is one second, at least one record).
    t += 60_000;
    expect(throttle.take(5)).toEqual({ granted: 1, waitMs: 0 });
    expect(throttle.take(5).granted).toBe(0);
  });

  it('over two minutes at 0.1 a second lets through 12 or 13 records', () => {
    let t = 0;
    const throttle = new RecordThrottle(0.1, () => t);
    let total = 0;
    while (t <= 120_000) {
      const { granted, waitMs } = throttle.take(100);
      total += granted;
      t += Math.max(waitMs, 50);
    }
    expect(total).toBeGreaterThanOrEqual(12);
    expect(total).toBeLessThanOrEqual(13);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new RecordThrottle(0)).toThrow(/positive/);
  });
});
