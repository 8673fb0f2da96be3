import { describe, expect, it } from 'vitest';
import { type SagaInput, transition, type WithdrawalState } from './saga.ts';

const requested = (availableMinor: number): SagaInput => ({ kind: 'requested', amountMinor: 500, availableMinor });
const settled = (availableMinor = 0): SagaInput => ({ kind: 'settled', availableMinor });
const timeout: SagaInput = { kind: 'timeout' };

describe('the withdrawal saga', () => {
  it.each<[WithdrawalState | undefined, SagaInput, unknown]>([
    [undefined, requested(500), { next: 'approved', effects: [{ kind: 'reserve' }, { kind: 'publish', event: 'approved' }] }],
    [
      undefined,
      requested(499),
      { next: 'rejected', effects: [{ kind: 'publish', event: 'rejected', reason: expect.stringContaining('499 available') }] },
    ],
    ['approved', settled(), { next: 'settled', effects: [{ kind: 'payoutFromReserved' }] }],
    [
      'approved',
      timeout,
      { next: 'failed', effects: [{ kind: 'release' }, { kind: 'publish', event: 'failed', reason: expect.any(String) }] },
    ],
    ['failed', settled(500), { next: 'settled', effects: [{ kind: 'payoutFromAvailable' }] }],
    ['failed', settled(499), { refused: expect.stringContaining('late settlement') }],
    [undefined, settled(1000), { refused: expect.stringContaining('never approved') }],
  ])('%s + %o', (state, input, step) => {
    expect(transition(state, input, 500)).toEqual(step);
  });

  it('is idempotent: every input a state has already moved past changes nothing', () => {
    for (const state of ['approved', 'rejected', 'settled', 'failed'] as const)
      expect(transition(state, requested(10_000), 500)).toEqual({ unchanged: true });
    for (const state of ['rejected', 'settled'] as const) expect(transition(state, settled(10_000), 500)).toEqual({ unchanged: true });
    for (const state of [undefined, 'rejected', 'settled', 'failed'] as const)
      expect(transition(state, timeout, 500)).toEqual({ unchanged: true });
  });
});
