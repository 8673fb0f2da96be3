/**
 * The withdrawal saga as the ledger drives it: a pure transition function from the withdrawal's
 * state and what happened to the next state and the effects to apply, in one transaction with the
 * inbox. Every step is idempotent: an input the state has already seen changes nothing.
 *
 * The timeout is not the ledger's to decide. Payments holds the payout: it either pays out
 * (withdrawal.settled) or, past settleBy, declines to (withdrawal.expired) — one party, one clock,
 * and both answers travel behind the request in the merchant's partition. A reservation is released
 * only on expired, so a ledger that lags can never release money a settlement later takes.
 *
 *   (none)    + requested, available ≥ amount → approved  reserve, publish approved
 *   (none)    + requested, available < amount → rejected  publish rejected
 *   approved  + settled                       → settled   debit the reservation (payout)
 *   approved  + expired                       → failed    release the reservation, publish failed
 *   failed    + settled                       → refused   (payments answered twice: for a person)
 *   (none)    + settled or expired            → refused   (never approved)
 *   anything else                             → unchanged
 */
export type WithdrawalState = 'approved' | 'rejected' | 'settled' | 'failed';

export type SagaInput = { kind: 'requested'; amountMinor: number; availableMinor: number } | { kind: 'settled' } | { kind: 'expired' };

export type SagaEffect =
  | { kind: 'reserve' }
  | { kind: 'release' }
  | { kind: 'payoutFromReserved' }
  | { kind: 'publish'; event: 'approved' | 'rejected' | 'failed'; reason?: string };

export type SagaStep = { next: WithdrawalState; effects: SagaEffect[] } | { unchanged: true } | { refused: string };

export function transition(state: WithdrawalState | undefined, input: SagaInput): SagaStep {
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
      if (state === undefined) return { refused: 'settlement of a withdrawal the ledger never approved' };
      if (state === 'failed' || state === 'rejected') return { refused: `settlement of a withdrawal that is ${state}` };
      return { unchanged: true };
    case 'expired':
      if (state === undefined) return { refused: 'expiry of a withdrawal the ledger never approved' };
      if (state !== 'approved') return { unchanged: true };
      return {
        next: 'failed',
        effects: [{ kind: 'release' }, { kind: 'publish', event: 'failed', reason: 'payments did not pay out before settleBy' }],
      };
  }
}
