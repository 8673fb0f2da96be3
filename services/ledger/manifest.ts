import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { moneyTopic } from '../payments/manifest.ts';
import { ledgerConfig } from './config.ts';
import { ledgerContracts } from './events.ts';

/** The double-entry journal of every merchant's money, kept from payments.events. */
export const ledgerManifest: ServiceManifest = {
  name: 'ledger',
  bundles: { 'ledger.js': 'services/ledger/main.ts' },
  contracts: Object.values(ledgerContracts),
  workloads: [
    {
      name: 'ledger',
      bundle: 'ledger.js',
      config: ledgerConfig,
      http: true,
      database: 'ledger',
      verifiesTokens: true,
      produces: [moneyTopic('ledger.events')],
      consumes: { topics: ['payments.events'], maxReplicas: 6, lagThreshold: 500, offsetResetPolicy: 'earliest' },
    },
  ],
};
