/**
 * Every service of the platform, one line each. The image table, the chart, the env contract,
 * `make contracts` and local mode read this list; nothing else lists services.
 */
import type { ServiceManifest } from '../lib/service-manifest.ts';
import { catalogManifest } from './catalog/manifest.ts';
import { categoryCountsManifest } from './category-counts/manifest.ts';
import { identityManifest } from './identity/manifest.ts';
import { ledgerManifest } from './ledger/manifest.ts';
import { paymentsManifest } from './payments/manifest.ts';
import { searchManifest } from './search/manifest.ts';
import { teachersManifest } from './teachers/manifest.ts';

export const serviceRegistry: readonly ServiceManifest[] = [
  catalogManifest,
  searchManifest,
  teachersManifest,
  identityManifest,
  paymentsManifest,
  ledgerManifest,
  categoryCountsManifest,
];
