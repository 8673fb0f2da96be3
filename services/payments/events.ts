import { z } from 'zod';
import { ContractRegistry, defineContract } from '../../lib/contracts.ts';
import { amountMinor, currency } from './money.ts';

/** What payments publishes on `payments.events`, keyed by merchant id: one merchant's money moves in order. */
export const paymentsTopic = 'payments.events';
const source = '/payments';
const byMerchant = (data: { merchantId: string }) => data.merchantId;

const payment = z.looseObject({ paymentId: z.uuid(), merchantId: z.uuid(), amountMinor, currency });
const withdrawal = z.looseObject({ withdrawalId: z.uuid(), merchantId: z.uuid(), amountMinor, currency });

export const paymentContracts = {
  paymentCreated: defineContract({
    type: 'dev.eventide.payments.payment.created.v1',
    source,
    topic: paymentsTopic,
    data: payment,
    subject: (d) => d.paymentId,
    key: byMerchant,
    description: 'A payment was created for a merchant; no money has moved yet.',
  }),
  paymentCompleted: defineContract({
    type: 'dev.eventide.payments.payment.completed.v1',
    source,
    topic: paymentsTopic,
    data: payment,
    subject: (d) => d.paymentId,
    key: byMerchant,
    description: "A payment completed: its amount is the merchant's to withdraw.",
  }),
  withdrawalRequested: defineContract({
    type: 'dev.eventide.payments.withdrawal.requested.v1',
    source,
    topic: paymentsTopic,
    data: withdrawal,
    subject: (d) => d.withdrawalId,
    key: byMerchant,
    description: 'A merchant asked to withdraw; the ledger approves (reserving it) or rejects it.',
  }),
  withdrawalSettled: defineContract({
    type: 'dev.eventide.payments.withdrawal.settled.v1',
    source,
    topic: paymentsTopic,
    data: withdrawal,
    subject: (d) => d.withdrawalId,
    key: byMerchant,
    description: 'An approved withdrawal was paid out; the ledger debits the reservation.',
  }),
  withdrawalExpired: defineContract({
    type: 'dev.eventide.payments.withdrawal.expired.v1',
    source,
    topic: paymentsTopic,
    data: withdrawal,
    subject: (d) => d.withdrawalId,
    key: byMerchant,
    description:
      'Payments read the approval after its settleBy and did not pay out: the ledger releases the reservation. Payments alone decides this, in partition order.',
  }),
};
export const paymentEvents = new ContractRegistry(Object.values(paymentContracts));
