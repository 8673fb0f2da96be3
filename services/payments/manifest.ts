import type { ProducedTopicSpec, ServiceManifest } from '../../lib/service-manifest.ts';
import { paymentsConfig } from './config.ts';
import { paymentContracts } from './events.ts';

/** Money topics are keyed by merchant id, so one merchant's movements stay in order. */
export const moneyTopic = (topicName: string): ProducedTopicSpec => ({
  topicName,
  partitions: 6,
  config: { 'retention.ms': String(30 * 24 * 60 * 60 * 1000) },
});

/** Merchants' payments and withdrawals; it alone decides a withdrawal's saga. */
export const paymentsManifest: ServiceManifest = {
  name: 'payments',
  bundles: { 'payments.js': 'services/payments/main.ts' },
  contracts: Object.values(paymentContracts),
  workloads: [
    {
      name: 'payments',
      bundle: 'payments.js',
      config: paymentsConfig,
      http: true,
      database: 'payments',
      verifiesTokens: true,
      produces: [moneyTopic('payments.events')],
      // Its consumer of the ledger's answers settles approved withdrawals.
      consumes: { topics: ['ledger.events'], maxReplicas: 6, lagThreshold: 500, offsetResetPolicy: 'earliest' },
    },
  ],
};
