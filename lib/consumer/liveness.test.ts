import { describe, expect, it } from 'vitest';
import { ConsumerLiveness } from './liveness.ts';

const limits = { rejoinTimeoutMs: 30_000, fetchTimeoutMs: 20_000 };

describe('consumer liveness', () => {
  it('is live but not ready while it joins, and not live once joining takes too long', () => {
    const l = new ConsumerLiveness(0, limits);
    expect(l.health(10_000)).toMatchObject({ live: true, ready: false });
    expect(l.health(30_001)).toMatchObject({ live: false, ready: false, reason: 'not in the consumer group for 30 s' });
  });

  it('is ready once joined, and stays live while fetches complete', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 3);
    expect(l.health(2_000)).toEqual({ live: true, ready: true, reason: 'consuming 3 partitions', partitions: 3 });
    l.progressed(19_000);
    expect(l.health(38_000)).toMatchObject({ live: true, ready: true });
  });

  it('is not live when joined but no fetch completes (a run loop that stopped or hangs)', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 1);
    expect(l.health(21_001)).toMatchObject({ live: false, ready: false, reason: 'in the group but no fetch or batch progress for 20 s' });
  });

  it('counts the time out of the group from when it left, not from start-up', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 2);
    l.progressed(100_000);
    l.leftGroup(100_000);
    expect(l.health(129_000)).toMatchObject({ live: true, ready: false, partitions: 0 });
    expect(l.health(130_001)).toMatchObject({ live: false });
    l.joinedGroup(130_500, 2);
    expect(l.health(130_600)).toMatchObject({ live: true, ready: true });
  });

  it('a second leave while out does not reset the clock', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 2);
    l.leftGroup(10_000);
    l.leftGroup(35_000);
    expect(l.health(40_001)).toMatchObject({ live: false });
  });

  it('a broker that does not answer restarts the clock: the consumer gets the full time to rejoin once it is back', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 2);
    l.leftGroup(10_000);
    l.brokerUnreachable(50_000);
    expect(l.health(50_000)).toMatchObject({ live: true, ready: false });
    expect(l.health(80_000)).toMatchObject({ live: true });
    expect(l.health(80_001)).toMatchObject({ live: false });
  });

  it('a joined consumer whose fetches stop because the broker is gone counts as out of the group from then', () => {
    const l = new ConsumerLiveness(0, limits);
    l.joinedGroup(1_000, 2);
    l.brokerUnreachable(25_000);
    expect(l.health(25_000)).toMatchObject({ live: true, ready: false, partitions: 0 });
    expect(l.health(55_001)).toMatchObject({ live: false, reason: 'not in the consumer group for 30 s' });
  });
});
