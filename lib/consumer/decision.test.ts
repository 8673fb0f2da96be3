import { describe, expect, it } from 'vitest';
import { type Failure, retryOrDeadLetter } from './decision.ts';

const policy = { maxAttempts: 3, baseMs: 200, maxMs: 10_000 };

describe('retry or dead-letter', () => {
  it.each<[string, Failure, number, ReturnType<typeof retryOrDeadLetter>]>([
    ['a dependency down is retried, first after the base delay', { kind: 'unavailable' }, 0, { action: 'retry', delayMs: 200 }],
    ['a dependency down longer backs off further', { kind: 'unavailable' }, 3, { action: 'retry', delayMs: 1_600 }],
    ['a dependency down for hours is still retried, at the cap', { kind: 'unavailable' }, 500, { action: 'retry', delayMs: 10_000 }],
    ['an unprocessable record is retried at first', { kind: 'unprocessable', attempts: 1 }, 0, { action: 'retry', delayMs: 200 }],
    ['and again below the limit', { kind: 'unprocessable', attempts: 2 }, 1, { action: 'retry', delayMs: 400 }],
    ['and dead-lettered at the limit', { kind: 'unprocessable', attempts: 3 }, 2, { action: 'dead-letter' }],
    ['or past it (a limit lowered by a deploy)', { kind: 'unprocessable', attempts: 7 }, 0, { action: 'dead-letter' }],
  ])('%s', (_case, failure, retries, expected) => {
    expect(retryOrDeadLetter(failure, retries, policy)).toEqual(expected);
  });

  it('with one attempt allowed, dead-letters an unprocessable record at once', () => {
    expect(retryOrDeadLetter({ kind: 'unprocessable', attempts: 1 }, 0, { ...policy, maxAttempts: 1 })).toEqual({ action: 'dead-letter' });
  });
});
