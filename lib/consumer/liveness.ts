/**
 * Whether a Kafka consumer is alive and useful, from the events its client reports. Pure: the
 * caller feeds it what happened and when, and asks at a given time. A consumer must never be
 * "alive and idle": out of its group too long (a crash kafkajs gave up on included), or joined but not fetching, is
 * not live, and its process should exit so that its supervisor (the kubelet) starts a fresh one.
 */

export interface LivenessLimits {
  /** How long the consumer may be outside its group (starting, rebalancing, rejoining). */
  rejoinTimeoutMs: number;
  /** How long a joined consumer may go without a completed fetch or a sign of its handler working. */
  fetchTimeoutMs: number;
}

export const defaultLivenessLimits: LivenessLimits = { rejoinTimeoutMs: 45_000, fetchTimeoutMs: 45_000 };

export interface Health {
  /** In the group (or briefly out of it) and fetching: /healthz. */
  live: boolean;
  /** Joined the group with its assignment: /readyz. */
  ready: boolean;
  /** Why, for the probe's answer and the exit log. */
  reason: string;
  partitions: number;
}

export class ConsumerLiveness {
  private readonly limits: LivenessLimits;
  private joined = false;
  /** When the consumer last left (or had not yet entered) its group. */
  private outSince: number;
  private lastFetchAt: number;
  private partitions = 0;

  constructor(now: number, limits: LivenessLimits = defaultLivenessLimits) {
    this.limits = limits;
    this.outSince = now;
    this.lastFetchAt = now;
  }

  /** The consumer starts (again): the rejoin clock starts now. */
  starting(now: number): void {
    this.joined = false;
    this.outSince = now;
  }

  joinedGroup(now: number, partitions: number): void {
    this.joined = true;
    this.partitions = partitions;
    this.lastFetchAt = now;
  }

  /** A rebalance started, the client disconnected, or it crashed and will restart. */
  leftGroup(now: number): void {
    if (this.joined) this.outSince = now;
    this.joined = false;
    this.partitions = 0;
  }

  /**
   * The broker does not answer: no consumer could be in its group or fetch, so nothing is held
   * against this one, and once the broker is back it gets the full time to rejoin.
   */
  brokerUnreachable(now: number): void {
    if (this.joined) this.leftGroup(now);
    this.outSince = now;
  }

  /** A fetch completed, or the batch handler is still at work (it heartbeats while it waits). */
  progressed(now: number): void {
    this.lastFetchAt = now;
  }

  health(now: number): Health {
    const partitions = this.partitions;
    if (!this.joined) {
      const out = now - this.outSince;
      return out > this.limits.rejoinTimeoutMs
        ? { live: false, ready: false, reason: `not in the consumer group for ${Math.round(out / 1000)} s`, partitions }
        : { live: true, ready: false, reason: 'joining the consumer group', partitions };
    }
    const idle = now - this.lastFetchAt;
    if (idle > this.limits.fetchTimeoutMs)
      return {
        live: false,
        ready: false,
        reason: `in the group but no fetch or batch progress for ${Math.round(idle / 1000)} s`,
        partitions,
      };
    return { live: true, ready: true, reason: `consuming ${partitions} partition${partitions === 1 ? '' : 's'}`, partitions };
  }
}
