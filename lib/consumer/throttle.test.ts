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

  it('refuses a rate that is not positive', () => {
    expect(() => new RecordThrottle(0)).toThrow(/positive/);
  });
});
