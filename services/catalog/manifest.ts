import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { catalogConfig } from './config.ts';
import { catalogContracts, changeTopic } from './events.ts';

/** Organizers' events, written through the API and published to catalog.events through the outbox. */
export const catalogManifest: ServiceManifest = {
  name: 'catalog',
  bundles: { 'catalog.js': 'services/catalog/main.ts' },
  contracts: Object.values(catalogContracts),
  workloads: [
    {
      name: 'catalog',
      bundle: 'catalog.js',
      config: catalogConfig,
      http: true,
      database: 'catalog',
      verifiesTokens: true,
      // One topic keyed by event id, so each event's changes stay in order.
      produces: [
        { topicName: changeTopic, partitions: 6, config: { 'retention.ms': String(7 * 24 * 60 * 60 * 1000), 'cleanup.policy': 'delete' } },
      ],
    },
  ],
};
