import { describe, expect, it } from 'vitest';
import { describeTimeline, type ScalingSample, scalingTimeline } from './scaling-observer.ts';

const s = (at: number, lag: number | undefined, replicas: number | undefined): ScalingSample => ({ at, lag, replicas, ready: replicas });

describe('scalingTimeline', () => {
  const samples = [
    s(0, 0, 1),
    s(1_000, 400, 1),
    s(2_000, 1_500, 1),
    s(3_000, 2_100, 2),
    s(4_000, 2_600, 3),
    s(5_000, undefined, 3),
    s(6_000, 800, 3),
    s(7_000, 0, 3),
    s(8_000, 0, 2),
    s(9_000, 0, 1),
  ];

  it('reads each phase from the samples', () => {
    const t = scalingTimeline(samples, { start: 0, end: 6_500 }, { lag: 1_000, drainedLag: 0 });
    expect(t).toMatchObject({
      startReplicas: 1,
      lagRose: 2_000,
      peakLag: 2_600,
      scaledUp: 3_000,
      peakReplicas: 3,
      drained: 7_000,
      scaledDown: 9_000,
    });
  });

  it('does not call a scale-down before the load ended, nor a drain before a scale-up', () => {
    const t = scalingTimeline([s(0, 0, 1), s(1_000, 0, 1), s(2_000, 5_000, 1)], { start: 0, end: 3_000 }, { lag: 1_000, drainedLag: 0 });
    expect(t.scaledUp).toBeUndefined();
    expect(t.drained).toBeUndefined();
    expect(t.scaledDown).toBeUndefined();
    expect(describeTimeline(t).at(-1)).toMatch(/scaled back down\s+not seen/);
  });

  it('describes the phases in the order they happened', () => {
    const lines = describeTimeline(scalingTimeline(samples, { start: 0, end: 8_500 }, { lag: 1_000, drainedLag: 0 }));
    expect(lines.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'load started',
      'lag rose above threshold',
      'scaled up',
      'lag drained',
      'load stopped',
      'scaled back down',
    ]);
    expect(lines[2]).toContain('t=3.0 s');
  });
});
