import { describe, expect, it } from 'vitest';
import { untilNextRound } from './poll-rounds.ts';

describe('untilNextRound', () => {
  it('waits the interval, then up to the next round boundary', () => {
    expect(untilNextRound(1_000, 5_000)).toBe(5_000);
    expect(untilNextRound(1_001, 5_000)).toBe(5_249);
    expect(untilNextRound(1_249, 5_000)).toBe(5_001);
  });
  it('puts groups polled at different moments of one round into the same next round', () => {
    const due = [10_010, 10_120, 10_249].map((now) => now + untilNextRound(now, 2_000));
    expect(new Set(due)).toEqual(new Set([12_250]));
  });
  it('never polls sooner than the interval, nor more than a round later', () => {
    for (let now = 0; now < 2_000; now += 7) {
      const delay = untilNextRound(now, 1_000);
      expect(delay).toBeGreaterThanOrEqual(1_000);
      expect(delay).toBeLessThan(1_250);
    }
  });
});
