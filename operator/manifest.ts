import type { z } from 'zod';
import type { ImageManifest } from '../lib/service-manifest.ts';
import { configSchema } from './config.ts';

/** The operator's image: one program, the bundle its Deployment runs and the schema its main validates. */
export const operatorManifest = {
  name: 'operator',
  bundles: { 'operator.js': 'operator/main.ts' },
  bundle: 'operator.js',
  config: configSchema,
} satisfies ImageManifest & { bundle: string; config: z.ZodObject };
