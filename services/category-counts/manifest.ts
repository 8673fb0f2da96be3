import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { changeTopic } from '../catalog/events.ts';
import { categoryCountsConfig } from './config.ts';

/**
 * The worked example (docs/adding-a-service.md): live events per catalog category, kept exactly
 * once in its own database from catalog.events, read by anyone through its API.
 */
export const categoryCountsManifest: ServiceManifest = {
  name: 'category-counts',
  bundles: { 'category-counts.js': 'services/category-counts/main.ts' },
  contracts: [],
  example: true,
  workloads: [
    {
      name: 'category-counts',
      bundle: 'category-counts.js',
      config: categoryCountsConfig,
      http: true,
      database: 'category_counts',
      consumes: { topics: [changeTopic], maxReplicas: 2, offsetResetPolicy: 'earliest' },
      // A light consumer: a small request leaves kind's two cores to the services it demonstrates beside.
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '192Mi' } },
    },
  ],
};
