/**
 * Which local program a container runs: an Eventide image's command names one of its bundles
 * (cdk8s/images.ts, the registry's), and the bundle is built from an entry point of this repository, so the
 * agent runs that entry point with this Node. Anything else is not runnable here.
 */
import type { V1Container } from '@kubernetes/client-node';
import { platformImages } from '../../cdk8s/images.ts';

export interface LocalProgram {
  /** Repository-relative entry point, e.g. services/catalog/main.ts. */
  entry: string;
  /** Arguments after the bundle (the command's rest, then the container's args). */
  args: string[];
}

export type ProgramLookup = { program: LocalProgram } | { unrunnable: string };

/** `eventide/<image>:<tag>` → `<image>`, or undefined for images that are not Eventide's. */
export function eventideImage(image: string | undefined): string | undefined {
  return /^(?:[^/]+\/)*eventide\/([a-z0-9-]+)(?::[^@]+)?(?:@.+)?$/.exec(image ?? '')?.[1];
}

export function localProgram(container: V1Container, images = platformImages()): ProgramLookup {
  const image = eventideImage(container.image);
  const bundles = image === undefined ? undefined : images[image];
  if (!bundles) return { unrunnable: `image ${container.image} is not an Eventide image (known: ${Object.keys(images).join(', ')})` };
  const [runtime, bundle, ...rest] = [...(container.command ?? []), ...(container.args ?? [])];
  if (runtime !== 'node' || bundle === undefined) {
    return {
      unrunnable: `container ${container.name}: command must be "node <bundle>.js …", got ${JSON.stringify(container.command ?? [])}`,
    };
  }
  const probe = [container.startupProbe, container.readinessProbe, container.livenessProbe].find((p) => p && !p.httpGet && !p.tcpSocket);
  if (probe) return { unrunnable: `container ${container.name}: only httpGet and tcpSocket probes run locally` };
  const entry = bundles[bundle];
  if (!entry) {
    return {
      unrunnable: `container ${container.name}: image ${image} has no bundle ${bundle} (it has ${Object.keys(bundles).join(', ')})`,
    };
  }
  return { program: { entry, args: rest } };
}
