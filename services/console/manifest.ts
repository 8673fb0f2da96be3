import type { z } from 'zod';
import type { ImageManifest } from '../../lib/service-manifest.ts';
import { consoleConfig } from './config.ts';

/**
 * The console's image, as the operator's: the program, its pages' script (an entry under ui/ is
 * bundled for the browser), and the schema its main validates. It is no registered service: the
 * chart's Console construct (cdk8s/console.ts) runs it with the read-only Kubernetes rights and
 * Kafka ACLs only it needs, in profiles that ask for it.
 */
export const consoleManifest = {
  name: 'console',
  bundles: { 'console.js': 'services/console/main.ts', 'console-ui.js': 'services/console/ui/main.ts' },
  bundle: 'console.js',
  config: consoleConfig,
} satisfies ImageManifest & { bundle: string; config: z.ZodObject };
