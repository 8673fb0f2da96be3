/**
 * A ConsumerGroup's lag and replicas over time, from the statuses the operator writes (each poll
 * that changes anything, at least once a minute): the console watches them rather than reading
 * Kafka again. Marks are what a person looks for on the chart: a scale step and a condition that
 * changed its reason (Stalled, ScalingLimited, Consuming…).
 */

export interface StatusCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The fields of a ConsumerGroup status the timeline reads. */
export interface GroupReading {
  /** When the console saw this status (a watch event follows the operator's write by milliseconds). */
  at: number;
  totalLag: number;
  currentReplicas: number;
  desiredReplicas: number;
  conditions: StatusCondition[];
}

export interface TimelinePoint {
  at: number;
  lag: number;
  replicas: number;
  desired: number;
}

export interface TimelineMark {
  at: number;
  kind: 'scaled' | 'condition';
  /** "ScaledUp", "ScaledDown", or the condition's type. */
  title: string;
  /** "1 → 3 replicas", or the condition's reason and message. */
  detail: string;
}

export interface TimelineOptions {
  /** How far back the timeline keeps points and marks. Default: one hour. */
  windowMs?: number;
}

export class GroupTimeline {
  private readonly windowMs: number;
  private points: TimelinePoint[] = [];
  private marks: TimelineMark[] = [];
  private conditions = new Map<string, string>();

  constructor({ windowMs = 3_600_000 }: TimelineOptions = {}) {
    this.windowMs = windowMs;
  }

  /** Adds one status as the operator wrote it; a reading no newer than the last one is ignored. */
  observe(reading: GroupReading): void {
    const last = this.points.at(-1);
    if (last && reading.at <= last.at) return;
    if (last && reading.currentReplicas !== last.replicas) {
      this.marks.push({
        at: reading.at,
        kind: 'scaled',
        title: reading.currentReplicas > last.replicas ? 'ScaledUp' : 'ScaledDown',
        detail: `${last.replicas} → ${reading.currentReplicas} replicas at lag ${reading.totalLag}`,
      });
    }
    for (const condition of reading.conditions) {
      const state = `${condition.status}/${condition.reason ?? ''}`;
      const before = this.conditions.get(condition.type);
      this.conditions.set(condition.type, state);
      // The first reading is the state the timeline starts in, not a change.
      if (last === undefined || before === state) continue;
      this.marks.push({
        at: reading.at,
        kind: 'condition',
        title: condition.type,
        detail: `${condition.status === 'True' ? '' : 'not '}${condition.reason ?? condition.type}${condition.message ? `: ${condition.message}` : ''}`,
      });
    }
    this.points.push({ at: reading.at, lag: reading.totalLag, replicas: reading.currentReplicas, desired: reading.desiredReplicas });
    this.forget(reading.at - this.windowMs);
  }

  /** The points and marks of the window that ends now. */
  view(now: number): { points: TimelinePoint[]; marks: TimelineMark[] } {
    const since = now - this.windowMs;
    return { points: this.points.filter((p) => p.at >= since), marks: this.marks.filter((m) => m.at >= since) };
  }

  private forget(before: number): void {
    const firstKept = this.points.findIndex((p) => p.at >= before);
    if (firstKept > 0) this.points = this.points.slice(firstKept);
    this.marks = this.marks.filter((m) => m.at >= before);
  }
}

/**
 * A status as the API server returns it, seen at `at` → a reading, or undefined while the operator
 * has not polled the group. The time is the console's: lastLagReadTime is refreshed only once a
 * minute while nothing changes, and not at all while lag cannot be read.
 */
export function readingOf(status: Record<string, unknown> | undefined, at: number): GroupReading | undefined {
  if (!status || typeof status.lastLagReadTime !== 'string') return undefined;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
  const conditions = Array.isArray(status.conditions) ? (status.conditions as StatusCondition[]) : [];
  return {
    at,
    totalLag: number(status.totalLag),
    currentReplicas: number(status.currentReplicas),
    desiredReplicas: number(status.desiredReplicas),
    conditions: conditions.filter((c) => typeof c?.type === 'string' && typeof c?.status === 'string'),
  };
}
