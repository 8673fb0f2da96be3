import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, whatever the caller's working directory. */
export const repoRoot = resolve(import.meta.dirname, '..');

/** Downloads and builds are cached outside the clone, keyed by version, so a second run fetches nothing. */
export function cacheDir(...parts: string[]): string {
  return join(process.env.EVENTIDE_CACHE ?? join(homedir(), '.cache', 'eventide'), ...parts);
}

export interface Versions {
  node: string;
  strimzi: string;
  kafka: string;
  elasticsearch: string;
  postgres: string;
  kubernetes: string;
  /** The Jaeger image the kind profile runs (devkit builds the matching Go module: devkit/jaeger). */
  jaeger: string;
}

/** versions.json is the one place the chart and the local servers take their versions from. */
export const versions: Versions = JSON.parse(readFileSync(join(repoRoot, 'versions.json'), 'utf8'));
