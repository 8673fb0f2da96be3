/**
 * The chart's environment and the programs' configuration agree: each Eventide container's env,
 * resolved from the chart's own ConfigMaps and Secrets as a kubelet resolves it, passes its
 * program's start-up validation, and every variable the chart sets is one the program reads. A
 * variable renamed in a construct (or in the code) alone fails here, before any cluster runs.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { profiles } from '../../cdk8s/profile.ts';
import { containerEnv } from '../../devkit/kubelet/pod-env.ts';
import { localProgram } from '../../devkit/kubelet/program.ts';
import { tracingEnv } from '../../lib/config.ts';
import { configSchema as operatorConfig } from '../../operator/config.ts';
import { catalogConfig } from '../../services/catalog/config.ts';
import { identityConfig } from '../../services/identity/config.ts';
import { ledgerConfig } from '../../services/ledger/config.ts';
import { paymentsConfig } from '../../services/payments/config.ts';
import { apiConfig, indexerConfig } from '../../services/search/config.ts';
import { teachersConfig } from '../../services/teachers/config.ts';
import { type KubeObject, parseObjects, strimziSecrets, synthFiles } from './synth.ts';

/** Entry point → the schema its main validates its environment with. */
const schemas: Record<string, z.ZodObject> = {
  'operator/main.ts': operatorConfig,
  'services/catalog/main.ts': catalogConfig,
  'services/search/api-main.ts': apiConfig,
  'services/search/indexer-main.ts': indexerConfig,
  'services/teachers/main.ts': teachersConfig,
  'services/identity/main.ts': identityConfig,
  'services/payments/main.ts': paymentsConfig,
  'services/ledger/main.ts': ledgerConfig,
};

for (const profile of Object.values(profiles)) {
  describe(`the ${profile.name} chart's env`, () => {
    const objects = [...synthFiles(profile).values()].flatMap(parseObjects);
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
    const eventide = objects
      .filter((o): o is KubeObject & { spec: { template: { spec: { containers: V1Container[] } } } } => o.kind === 'Deployment')
      .flatMap((d) => d.spec.template.spec.containers.map((c) => ({ deployment: d, container: c })))
      .filter(({ container }) => container.image?.includes('eventide/'));

    it('has Eventide containers to check', () => expect(eventide.length).toBeGreaterThanOrEqual(4));

    for (const { deployment, container } of eventide) {
      it(`${deployment.metadata.name}: resolves, validates, and sets nothing the program ignores`, () => {
        const lookup = localProgram(container);
        if ('unrunnable' in lookup) throw new Error(lookup.unrunnable);
        const schema = schemas[lookup.program.entry];
        if (!schema) throw new Error(`no schema listed here for ${lookup.program.entry}; add its config schema to this table`);
        const pod: V1Pod = {
          metadata: { name: `${deployment.metadata.name}-0`, namespace: deployment.metadata.namespace },
          spec: { containers: [container] },
        };
        const env = containerEnv(pod, container, { configMaps, secrets });
        // runService validates OpenTelemetry's variables beside every program's own schema.
        const parsed = schema.extend(tracingEnv).safeParse(env);
        expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
        // Node reads NODE_OPTIONS itself, before the program starts.
        const unread = Object.keys(env).filter((name) => !(name in schema.shape) && !(name in tracingEnv) && name !== 'NODE_OPTIONS');
        expect(unread, `${deployment.metadata.name} sets variables its program does not read`).toEqual([]);
      });
    }
  });
}
