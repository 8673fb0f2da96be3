import { describe, expect, it } from 'vitest';
import { type SagaInput, transition, type WithdrawalState } from './saga.ts';

const requested = (availableMinor: number): SagaInput => ({ kind: 'requested', amountMinor: 500, availableMinor });
const settled: SagaInput = { kind: 'settled' };
const expired: SagaInput = { kind: 'expired' };

describe('the withdrawal saga', () => {
  it.each<[WithdrawalState | undefined, SagaInput, unknown]>([
    [undefined, requested(500), { next: 'approved', effects: [{ kind: 'reserve' }, { kind: 'publish', event: 'approved' }] }],
    [
      undefined,
      requested(499),
      { next: 'rejected', effects: [{ kind: 'publish', event: 'rejected', reason: expect.stringContaining('499 available') }] },
    ],
    ['approved', settled, { next: 'settled', effects: [{ kind: 'payoutFromReserved' }] }],
    [
      'approved',
      expired,
      { next: 'failed', effects: [{ kind: 'release' }, { kind: 'publish', event: 'failed', reason: expect.any(String) }] },
    ],
    ['failed', settled, { refused: expect.stringContaining('failed') }],
    ['rejected', settled, { refused: expect.stringContaining('rejected') }],
    [undefined, settled, { refused: expect.stringContaining('never approved') }],
    [undefined, expired, { refused: expect.stringContaining('never approved') }],
  ])('%s + %o', (state, input, step) => {
    expect(transition(state, input)).toEqual(step);
  });

  it('is idempotent: every input a state has already moved past changes nothing', () => {
    for (const state of ['approved', 'rejected', 'settled', 'failed'] as const)
      expect(transition(state, requested(10_000))).toEqual({ unchanged: true });
    expect(transition('settled', settled)).toEqual({ unchanged: true });
    for (const state of ['rejected', 'settled', 'failed'] as const) expect(transition(state, expired)).toEqual({ unchanged: true });
  });

  it('has no clock: nothing but expired releases a reservation', () => {
    const releases = (['approved', 'rejected', 'settled', 'failed', undefined] as const).flatMap((state) =>
      [requested(10_000), settled].map((input) => transition(state, input)),
    );
    expect(releases.some((step) => 'effects' in step && step.effects.some((e) => e.kind === 'release'))).toBe(false);
  });
});
