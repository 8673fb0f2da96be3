/**
 * Probe and restart arithmetic as the kubelet does it, without I/O: consecutive results against
 * success and failure thresholds, and the crash-loop back-off.
 */
import type { V1Probe } from '@kubernetes/client-node';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The API's defaults for fields a probe leaves out. */
export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: (probe.periodSeconds ?? 10) * 1000,
    timeoutMs: (probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: probe.successThreshold ?? 1,
    failureThreshold: probe.failureThreshold ?? 3,
  };
}

/** Consecutive outcomes of one probe; `record` says when the verdict flips. */
export class ProbeCounter {
  private successes = 0;
  private failures = 0;
  private verdict: boolean | undefined;

  private readonly timing: Pick<ProbeTiming, 'successThreshold' | 'failureThreshold'>;

  constructor(timing: Pick<ProbeTiming, 'successThreshold' | 'failureThreshold'>) {
    this.timing = timing;
  }

  /** The verdict after this outcome, or undefined while the thresholds are not reached yet. */
  record(ok: boolean): boolean | undefined {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= this.timing.successThreshold) this.verdict = true;
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= this.timing.failureThreshold) this.verdict = false;
    }
    return this.verdict;
  }
}

export interface RestartBackoff {
  /** First delay after a crash; the kubelet's is 10 s. */
  baseMs: number;
  /** The kubelet caps at 5 minutes. */
  maxMs: number;
  /** A container that ran this long without exiting starts the back-off over (kubelet: 10 min). */
  resetAfterMs: number;
}

export const kubeletBackoff: RestartBackoff = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** Delay before restart number `restarts` (1 = the first restart): base, doubling, capped. */
export function restartDelayMs(restarts: number, backoff: RestartBackoff): number {
  if (restarts <= 0) return 0;
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** (restarts - 1));
}
