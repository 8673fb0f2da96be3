/**
 * The chart's environment against the programs' configuration: each Eventide container's env,
 * resolved from the chart's own ConfigMaps and Secrets as a kubelet resolves it, must pass its
 * program's start-up validation, and every variable the chart sets must be one the program reads.
 * The schemas come from the registry (each workload's config) and the operator's manifest.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { z } from 'zod';
import { platformImages } from '../../cdk8s/images.ts';
import type { Profile } from '../../cdk8s/profile.ts';
import { containerEnv } from '../../devkit/kubelet/pod-env.ts';
import { localProgram } from '../../devkit/kubelet/program.ts';
import { tracingEnv } from '../../lib/config.ts';
import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { operatorManifest } from '../../operator/manifest.ts';
import { consoleManifest } from '../../services/console/manifest.ts';
import { serviceRegistry } from '../../services/registry.ts';
import { type KubeObject, parseObjects, strimziSecrets, synthFiles } from './synth.ts';

export interface ContainerCheck {
  deployment: string;
  entry?: string;
  /** What is wrong: unresolvable, invalid for the schema, or set but not read. Empty: the contract holds. */
  problems: string[];
}

/** Entry point → the schema its main validates its environment with. */
export function configSchemas(services: readonly ServiceManifest[] = serviceRegistry): Map<string, z.ZodObject> {
  return new Map([
    [operatorManifest.bundles['operator.js'], operatorManifest.config],
    [consoleManifest.bundles['console.js'], consoleManifest.config],
    ...services.flatMap((s) => s.workloads.map((w) => [s.bundles[w.bundle] ?? '', w.config] as [string, z.ZodObject])),
  ]);
}

export function checkEnvContract(profile: Profile, services: readonly ServiceManifest[] = serviceRegistry): ContainerCheck[] {
  const objects = [...synthFiles(profile, services).values()].flatMap(parseObjects);
  const schemas = configSchemas(services);
  const images = platformImages(services);
  const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o as V1ConfigMap]));
  // The API server turns a Secret's stringData into data; so does this.
  const secrets = new Map<string, V1Secret>(
    objects
      .filter((o): o is KubeObject & V1Secret => o.kind === 'Secret')
      .map((o) => [
        o.metadata.name,
        {
          data: {
            ...o.data,
            ...Object.fromEntries(Object.entries(o.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          },
        },
      ]),
  );
  // Secrets Strimzi or whoever runs the cluster creates: a PEM-shaped value serves every key the chart names.
  const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nplaceholder\n-----END CERTIFICATE-----\n').toString('base64');
  for (const [name, keys] of strimziSecrets(objects)) secrets.set(name, { data: Object.fromEntries(keys.map((k) => [k, pem])) });
  for (const name of profile.externalSecrets) {
    const refs = JSON.stringify(objects).matchAll(new RegExp(`"name":"${name}","key":"([^"]+)"|"key":"([^"]+)","name":"${name}"`, 'g'));
    const keys = new Set([...refs].map((m) => m[1] ?? m[2] ?? ''));
    // An e-mail key holds an address (identity's bootstrap administrator), a JWK key a public JWK
    // (the activation deliverer's); every other key a PEM-shaped value.
    const email = Buffer.from('admin@eventide.example').toString('base64');
    const jwk = Buffer.from(JSON.stringify(generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }))).toString('base64');
    const value = (key: string) => (key === 'email' ? email : /jwk/i.test(key) ? jwk : pem);
    secrets.set(name, { data: Object.fromEntries([...keys].map((k) => [k, value(k)])) });
  }
  return objects
    .filter((o): o is KubeObject & { spec: { template: { spec: { containers: V1Container[] } } } } => o.kind === 'Deployment')
    .flatMap((d) => d.spec.template.spec.containers.map((c) => ({ deployment: d, container: c })))
    .filter(({ container }) => container.image?.includes('eventide/'))
    .map(({ deployment, container }): ContainerCheck => {
      const name = deployment.metadata.name;
      const lookup = localProgram(container, images);
      if ('unrunnable' in lookup) return { deployment: name, problems: [lookup.unrunnable] };
      const entry = lookup.program.entry;
      const schema = schemas.get(entry);
      if (!schema) return { deployment: name, entry, problems: [`no config schema in the registry for ${entry}`] };
      const pod: V1Pod = { metadata: { name: `${name}-0`, namespace: deployment.metadata.namespace }, spec: { containers: [container] } };
      const env = containerEnv(pod, container, { configMaps, secrets });
      // runService validates OpenTelemetry's variables beside every program's own schema.
      const parsed = schema.extend(tracingEnv).safeParse(env);
      const invalid = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      // Node reads NODE_OPTIONS itself, before the program starts.
      const unread = Object.keys(env)
        .filter((variable) => !(variable in schema.shape) && !(variable in tracingEnv) && variable !== 'NODE_OPTIONS')
        .map((variable) => `sets ${variable}, which its program does not read`);
      return { deployment: name, entry, problems: [...invalid, ...unread] };
    });
}
