/**
 * Facts the chart, the local servers, the scripts and the benchmarks share: the repository's root
 * and the versions everything runs. They sit below every layer that reads them (test/architecture.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root, whatever the caller's working directory. */
export const repoRoot = resolve(import.meta.dirname, '..');

export interface Versions {
  node: string;
  strimzi: string;
  kafka: string;
  elasticsearch: string;
  postgres: string;
  /** The API the chart is validated against: devkit builds this kube-apiserver. */
  kubernetes: string;
  /** The oldest kind that ships deploy/kind-cluster.yaml's node image (its release notes list it). */
  kind: string;
  /** The Jaeger image the kind profile runs (devkit builds the matching Go module: devkit/jaeger). */
  jaeger: string;
}

/** versions.json is the one place the chart and the local servers take their versions from. */
export const versions: Versions = JSON.parse(readFileSync(join(repoRoot, 'versions.json'), 'utf8'));

/** The platform's own version (package.json): the tag of every Eventide image. */
export const platformVersion: string = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
