import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { changeTopic } from '../catalog/events.ts';
import { apiConfig, indexerConfig } from './config.ts';
import { alias } from './index-definition.ts';

/**
 * Search over the catalog: the indexer keeps Elasticsearch in step with catalog.events, the API
 * reads it (public). Each is its own Elasticsearch user: the indexer writes and manages events-*
 * and the alias; the API only reads through the alias (and needs `monitor` for the root endpoint
 * its readiness pings).
 */
export const searchManifest: ServiceManifest = {
  name: 'search',
  bundles: { 'search-api.js': 'services/search/api-main.ts', 'search-indexer.js': 'services/search/indexer-main.ts' },
  contracts: [],
  workloads: [
    {
      name: 'search-api',
      bundle: 'search-api.js',
      config: apiConfig,
      http: true,
      elasticsearch: { cluster: ['monitor'], indices: [{ names: [alias], privileges: ['read'] }] },
    },
    {
      name: 'search-indexer',
      bundle: 'search-indexer.js',
      config: indexerConfig,
      elasticsearch: { indices: [{ names: [`${alias}-*`, alias], privileges: ['create_index', 'write', 'manage'] }] },
      consumes: { topics: [changeTopic], maxReplicas: 6, lagThreshold: 1000, offsetResetPolicy: 'earliest' },
    },
  ],
};
