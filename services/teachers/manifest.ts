import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { teachersConfig } from './config.ts';
import { teacherContracts } from './events.ts';

/** Schools' teachers, per tenant; each change published to teachers.events for identity. */
export const teachersManifest: ServiceManifest = {
  name: 'teachers',
  bundles: { 'teachers.js': 'services/teachers/main.ts' },
  contracts: Object.values(teacherContracts),
  workloads: [
    {
      name: 'teachers',
      bundle: 'teachers.js',
      config: teachersConfig,
      http: true,
      database: 'teachers',
      verifiesTokens: true,
      produces: [{ topicName: 'teachers.events', partitions: 6, config: { 'retention.ms': String(7 * 24 * 60 * 60 * 1000) } }],
      env: ({ tenants }) => ({ TENANTS: tenants.join(',') }),
    },
  ],
};
