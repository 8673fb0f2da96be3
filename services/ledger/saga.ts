/**
 * The withdrawal saga as the ledger drives it: a pure transition function from the withdrawal's
 * state and what happened to the next state and the effects to apply, in one transaction with the
 * inbox. Every step is idempotent: an input the state has already seen changes nothing.
 *
 *   (none)    + requested, available ≥ amount → approved  reserve, publish approved
 *   (none)    + requested, available < amount → rejected  publish rejected
 *   approved  + settled                       → settled   debit the reservation (payout)
 *   approved  + timeout                       → failed    release the reservation, publish failed
 *   failed    + settled (late), covered       → settled   debit available (the payout happened)
 *   failed    + settled (late), not covered   → refused   (dead-lettered for a person; never negative)
 *   anything else                             → unchanged
 */
export type WithdrawalState = 'approved' | 'rejected' | 'settled' | 'failed';

export type SagaInput =
  | { kind: 'requested'; amountMinor: number; availableMinor: number }
  | { kind: 'settled'; availableMinor: number }
  | { kind: 'timeout' };

export type SagaEffect =
  | { kind: 'reserve' }
  | { kind: 'release' }
  | { kind: 'payoutFromReserved' }
  | { kind: 'payoutFromAvailable' }
  | { kind: 'publish'; event: 'approved' | 'rejected' | 'failed'; reason?: string };

export type SagaStep = { next: WithdrawalState; effects: SagaEffect[] } | { unchanged: true } | { refused: string };

export function transition(state: WithdrawalState | undefined, input: SagaInput, amountMinor: number): SagaStep {
  switch (input.kind) {
    case 'requested':
      if (state !== undefined) return { unchanged: true };
      return input.availableMinor >= input.amountMinor
        ? { next: 'approved', effects: [{ kind: 'reserve' }, { kind: 'publish', event: 'approved' }] }
        : {
            next: 'rejected',
            effects: [
              {
                kind: 'publish',
                event: 'rejected',
                reason: `insufficient funds: ${input.availableMinor} available, ${input.amountMinor} requested`,
              },
            ],
          };
    case 'settled':
      if (state === 'approved') return { next: 'settled', effects: [{ kind: 'payoutFromReserved' }] };
      if (state === 'failed') {
        if (input.availableMinor >= amountMinor) return { next: 'settled', effects: [{ kind: 'payoutFromAvailable' }] };
        return { refused: `late settlement of ${amountMinor} after compensation, but only ${input.availableMinor} available` };
      }
      if (state === undefined) return { refused: 'settlement of a withdrawal the ledger never approved' };
      return { unchanged: true };
    case 'timeout':
      if (state !== 'approved') return { unchanged: true };
      return {
        next: 'failed',
        effects: [{ kind: 'release' }, { kind: 'publish', event: 'failed', reason: 'not settled within the settlement window' }],
      };
  }
}
