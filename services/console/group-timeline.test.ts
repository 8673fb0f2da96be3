import { describe, expect, it } from 'vitest';
import { type GroupReading, GroupTimeline, readingOf } from './group-timeline.ts';

const consuming = { type: 'Consuming', status: 'True', reason: 'MembersConsuming' };
const reading = (at: number, totalLag: number, currentReplicas: number, conditions = [consuming]): GroupReading => ({
  at,
  totalLag,
  currentReplicas,
  desiredReplicas: currentReplicas,
  conditions,
});

describe('GroupTimeline', () => {
  it('keeps lag and replicas per reading and marks each scale step', () => {
    const timeline = new GroupTimeline();
    timeline.observe(reading(1_000, 0, 1));
    timeline.observe(reading(3_000, 900, 1));
    timeline.observe(reading(5_000, 1_200, 3));
    timeline.observe(reading(7_000, 0, 1));
    const { points, marks } = timeline.view(7_000);
    expect(points.map((p) => [p.at, p.lag, p.replicas])).toEqual([
      [1_000, 0, 1],
      [3_000, 900, 1],
      [5_000, 1_200, 3],
      [7_000, 0, 1],
    ]);
    expect(marks).toEqual([
      { at: 5_000, kind: 'scaled', title: 'ScaledUp', detail: '1 → 3 replicas at lag 1200' },
      { at: 7_000, kind: 'scaled', title: 'ScaledDown', detail: '3 → 1 replicas at lag 0' },
    ]);
  });

  it('marks a condition when its reason changes, not the state it starts in nor a repeat', () => {
    const stalled = { type: 'Consuming', status: 'False', reason: 'Stalled', message: 'partition 0 has not moved for 60 s' };
    const timeline = new GroupTimeline();
    timeline.observe(reading(1_000, 10, 1, [stalled]));
    timeline.observe(reading(2_000, 10, 1, [consuming]));
    timeline.observe(reading(3_000, 20, 1, [consuming]));
    timeline.observe(reading(4_000, 30, 1, [stalled]));
    expect(timeline.view(4_000).marks).toEqual([
      { at: 2_000, kind: 'condition', title: 'Consuming', detail: 'MembersConsuming' },
      { at: 4_000, kind: 'condition', title: 'Consuming', detail: 'not Stalled: partition 0 has not moved for 60 s' },
    ]);
  });

  it('forgets what is older than its window and ignores a reading older than the last', () => {
    const timeline = new GroupTimeline({ windowMs: 10_000 });
    timeline.observe(reading(1_000, 5, 1));
    timeline.observe(reading(2_000, 6, 2));
    timeline.observe(reading(1_500, 99, 9));
    timeline.observe(reading(13_000, 7, 2));
    const { points, marks } = timeline.view(13_000);
    expect(points.map((p) => p.at)).toEqual([13_000]);
    expect(marks).toEqual([]);
    expect(timeline.view(30_000).points).toEqual([]);
  });
});

describe('readingOf', () => {
  it('reads a polled status at the time it was seen', () => {
    const status = {
      lastLagReadTime: '2026-12-06T10:00:00Z',
      totalLag: 42,
      currentReplicas: 2,
      desiredReplicas: 3,
      conditions: [consuming, { status: 'True' }],
    };
    expect(readingOf(status, 5)).toEqual({ at: 5, totalLag: 42, currentReplicas: 2, desiredReplicas: 3, conditions: [consuming] });
  });

  it('has no reading before the first poll', () => {
    expect(readingOf(undefined, 5)).toBeUndefined();
    expect(readingOf({ conditions: [] }, 5)).toBeUndefined();
  });
});
