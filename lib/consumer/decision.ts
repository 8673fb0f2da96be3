import { backoffMs } from '../backoff.ts';

/**
 * Why a record was not handled this time:
 * - `unavailable`: a dependency is down or overloaded. Nothing is wrong with the record; the
 *   partition pauses and the batch is retried with backoff, for as long as it takes.
 * - `unprocessable`: this record cannot be handled (it does not decode, breaks its contract, or the
 *   handler refused it). It is retried a few times — the cause may be a deploy away — and then
 *   set aside in the dead-letter topic so the partition moves on.
 */
export type Failure = { kind: 'unavailable' } | { kind: 'unprocessable'; attempts: number };

export type Decision = { action: 'retry'; delayMs: number } | { action: 'dead-letter' };

export interface RetryPolicy {
  /** Attempts at an unprocessable record before it is dead-lettered. */
  maxAttempts: number;
  /** Backoff of the paused partition: base·2^n up to max. */
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, baseMs: 200, maxMs: 10_000 };

/**
 * The retry-or-dead-letter decision. `retries` counts the partition's consecutive failed
 * attempts so far (it sets the backoff). Pure.
 */
export function retryOrDeadLetter(failure: Failure, retries: number, policy: RetryPolicy = defaultRetryPolicy): Decision {
  if (failure.kind === 'unprocessable' && failure.attempts >= policy.maxAttempts) return { action: 'dead-letter' };
  return { action: 'retry', delayMs: backoffMs(retries, { baseMs: policy.baseMs, maxMs: policy.maxMs, jitter: 0 }) };
}
