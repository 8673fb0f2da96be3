import { describe, expect, it, vi } from 'vitest';
import { backoffMs, sleep } from './backoff.ts';

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap', () => {
    const exact = { baseMs: 500, maxMs: 60_000, jitter: 0 };
    expect([0, 1, 2, 10, 50, 5000].map((n) => backoffMs(n, exact))).toEqual([500, 1000, 2000, 60_000, 60_000, 60_000]);
  });

  it('defaults to 100 ms doubling up to 10 s', () => {
    const noJitter = { jitter: 0 };
    expect([0, 1, 6, 7, 100].map((n) => backoffMs(n, noJitter))).toEqual([100, 200, 6400, 10_000, 10_000]);
  });

  it('takes off up to the jitter fraction, never more, never going above the cap', () => {
    expect(backoffMs(3, { random: () => 0 })).toBe(800);
    expect(backoffMs(3, { random: () => 0.5 })).toBeCloseTo(720);
    expect(backoffMs(3, { random: () => 0.999999 })).toBeCloseTo(640, 2);
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffMs(attempt);
      expect(delay).toBeGreaterThanOrEqual(0.8 * Math.min(10_000, 100 * 2 ** attempt));
      expect(delay).toBeLessThanOrEqual(10_000);
    }
  });

  it('is never negative nor NaN, whatever it is given', () => {
    expect(backoffMs(-3, { jitter: 0 })).toBe(100);
    expect(backoffMs(1e9, { baseMs: 0 })).toBe(0);
    expect(backoffMs(2, { jitter: 5, random: () => 0.99 })).toBeGreaterThanOrEqual(0);
    expect(backoffMs(2, { jitter: -1, random: () => 0.99 })).toBe(400);
  });
});

describe('sleep', () => {
  it('waits the given time', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const slept = sleep(1_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await slept;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends early and quietly on abort, and at once when already aborted', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    const slept = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(new Error('stopping')), 20);
    await expect(slept).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(sleep(60_000, controller.signal)).resolves.toBeUndefined();
  });

  it('leaves no listener behind on the signal after a normal wake', async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    await sleep(1, controller.signal);
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});
