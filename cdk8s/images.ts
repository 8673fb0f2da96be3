/**
 * Eventide's images: the operator's and one per registered service, each `eventide/<name>` at the
 * platform's version. The Dockerfile (scripts/bundle.ts), the chart and the local node agent read
 * this table.
 */
import { imageTable, type ServiceManifest } from '../lib/service-manifest.ts';
import { operatorManifest } from '../operator/manifest.ts';
import { serviceRegistry } from '../services/registry.ts';
import { platformVersion } from '../shared/versions.ts';

/** Image → bundle file → entry point. */
export const platformImages = (services: readonly ServiceManifest[] = serviceRegistry) => imageTable([operatorManifest, ...services]);

/** The reference the chart runs an image by. */
export const imageRef = (name: string): string => `eventide/${name}:${platformVersion}`;
