/**
 * Eventide's images: the operator's and one per registered service, each `eventide/<name>` (behind
 * a registry, when the values name one) at the platform's version or the values' tag. The
 * Dockerfile (scripts/bundle.ts), the chart and the local node agent read this table.
 */
import { imageTable, type ServiceManifest } from '../lib/service-manifest.ts';
import { operatorManifest } from '../operator/manifest.ts';
import { consoleManifest } from '../services/console/manifest.ts';
import { serviceRegistry } from '../services/registry.ts';
import { platformVersion } from '../shared/versions.ts';

/** Image → bundle file → entry point. */
export const platformImages = (services: readonly ServiceManifest[] = serviceRegistry) =>
  imageTable([operatorManifest, consoleManifest, ...services]);

/** Where the chart's Eventide images come from (the values' `images`). */
export interface ImageSource {
  /** e.g. "ghcr.io/acme": `ghcr.io/acme/eventide/<name>`. Default none: `eventide/<name>`. */
  registry?: string;
  /** Default: the platform's version (package.json). */
  tag?: string;
}

/** The reference the chart runs an image by. */
export const imageRef = (name: string, { registry, tag = platformVersion }: ImageSource = {}): string =>
  `${registry ? `${registry}/` : ''}eventide/${name}:${tag}`;
