import { z } from 'zod';
import { ContractRegistry, defineContract } from '../../lib/contracts.ts';
import { amountMinor } from '../payments/money.ts';

/** What the ledger publishes on `ledger.events`, keyed by merchant id: the saga's answers to payments. */
export const ledgerTopic = 'ledger.events';
const source = '/ledger';
const outcome = z.looseObject({ withdrawalId: z.uuid(), merchantId: z.uuid(), amountMinor });

export const ledgerContracts = {
  approved: defineContract({
    type: 'dev.eventide.ledger.withdrawal.approved.v1',
    source,
    topic: ledgerTopic,
    data: outcome.extend({
      settleBy: z.string().describe('after this instant (RFC 3339) the reservation is released: do not pay out later'),
    }),
    subject: (d) => d.withdrawalId,
    key: (d) => d.merchantId,
    description: 'The ledger reserved the amount: pay it out before settleBy, then publish withdrawal.settled.',
  }),
  rejected: defineContract({
    type: 'dev.eventide.ledger.withdrawal.rejected.v1',
    source,
    topic: ledgerTopic,
    data: outcome.extend({ reason: z.string() }),
    subject: (d) => d.withdrawalId,
    key: (d) => d.merchantId,
    description: 'The ledger refused the withdrawal (insufficient available balance); nothing was reserved.',
  }),
  failed: defineContract({
    type: 'dev.eventide.ledger.withdrawal.failed.v1',
    source,
    topic: ledgerTopic,
    data: outcome.extend({ reason: z.string() }),
    subject: (d) => d.withdrawalId,
    key: (d) => d.merchantId,
    description: 'The withdrawal was not settled in time; the reservation was released back to available.',
  }),
};
export const ledgerEvents = new ContractRegistry(Object.values(ledgerContracts));
