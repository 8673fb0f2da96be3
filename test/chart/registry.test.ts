/**
 * The registry drives every former list: a service added to it (here a fake one, with no file of
 * its own) is in the image table, the chart — its Deployment, database, Topic, ConsumerGroup and
 * network flows — and the env contract, which also catches its schema disagreeing with the chart.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { platformImages } from '../../cdk8s/images.ts';
import { kind, production } from '../../cdk8s/profile.ts';
import { env, kafkaEnv } from '../../lib/config.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { serviceRegistry } from '../../services/registry.ts';
import { platformVersion } from '../../shared/versions.ts';
import { checkEnvContract } from './env-contract.ts';
import { parseObjects, synthFiles } from './synth.ts';

const config = {
  ...kafkaEnv,
  ...postgresEnv,
  PORT: env.port,
  LOG_LEVEL: env.logLevel,
  KAFKA_GROUP_ID: z.string(),
  IDENTITY_JWKS_URL: z.url(),
  WINDOW_SECONDS: z.coerce.number().int().min(1),
};

const fake = (schema: z.ZodObject = z.object(config).superRefine(requirePostgres), example = false): ServiceManifest => ({
  name: 'fake-counter',
  bundles: { 'fake-counter.js': 'services/fake-counter/main.ts' },
  contracts: [],
  example,
  workloads: [
    {
      name: 'fake-counter',
      bundle: 'fake-counter.js',
      config: schema,
      http: true,
      database: 'fake_counter',
      verifiesTokens: true,
      produces: [{ topicName: 'fake-counter.events', partitions: 3 }],
      consumes: { topics: ['catalog.events'], maxReplicas: 2 },
      env: () => ({ WINDOW_SECONDS: '60' }),
    },
  ],
});

const objects = (services: readonly ServiceManifest[], profile = kind) => [...synthFiles(profile, services).values()].flatMap(parseObjects);
const named = (list: ReturnType<typeof objects>, kindName: string, name: string) =>
  list.find((o) => o.kind === kindName && o.metadata.name === name);

describe('a service added to the registry', () => {
  const services = [...serviceRegistry, fake()];

  it('is in the image table', () => {
    expect(platformImages(services)['fake-counter']).toEqual({ 'fake-counter.js': 'services/fake-counter/main.ts' });
    expect(platformImages()['fake-counter']).toBeUndefined();
  });

  it('is in the chart: its Deployment, own database, Topics, ConsumerGroup and flows', () => {
    const chart = objects(services);
    const deployment = named(chart, 'Deployment', 'fake-counter');
    expect(deployment?.spec).toMatchObject({
      template: {
        spec: {
          containers: [
            {
              image: `eventide/fake-counter:${platformVersion}`,
              command: ['node', 'fake-counter.js'],
            },
          ],
        },
      },
    });
    expect(named(chart, 'Secret', 'postgres-fake-counter-credentials')).toBeDefined();
    expect(JSON.stringify(named(chart, 'StatefulSet', 'postgres'))).toContain('fake_counter');
    expect(chart.filter((o) => o.kind === 'Topic').map((o) => o.spec?.topicName)).toEqual(
      expect.arrayContaining(['fake-counter.events', 'fake-counter.dlq']),
    );
    expect(named(chart, 'ConsumerGroup', 'fake-counter')?.spec).toMatchObject({ topics: ['catalog.events'], maxReplicas: 2 });
    const flow = (name: string) => JSON.stringify(chart.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith(name)));
    expect(flow('postgres-clients')).toContain('fake-counter');
    expect(flow('identity-jwks')).toContain('fake-counter');
    expect(named(objects(serviceRegistry), 'Deployment', 'fake-counter')).toBeUndefined();
  });

  it('is held to the env contract, which passes when its schema reads what the chart sets', () => {
    const check = checkEnvContract(kind, services).find((c) => c.deployment === 'fake-counter');
    expect(check).toEqual({ deployment: 'fake-counter', entry: 'services/fake-counter/main.ts', problems: [] });
  });

  it('fails the env contract when its schema needs a variable the chart does not set, or ignores one it does', () => {
    const { KAFKA_GROUP_ID: _ignored, ...rest } = config;
    const drifted = fake(z.object({ ...rest, SHARD: z.string() }).superRefine(requirePostgres));
    const check = checkEnvContract(kind, [...serviceRegistry, drifted]).find((c) => c.deployment === 'fake-counter');
    expect(check?.problems).toEqual([expect.stringMatching(/^SHARD: /), 'sets KAFKA_GROUP_ID, which its program does not read']);
  });

  it('as an example, runs in the kind profile only', () => {
    const example = [...serviceRegistry, fake(undefined, true)];
    expect(named(objects(example), 'Deployment', 'fake-counter')).toBeDefined();
    expect(named(objects(example, production), 'Deployment', 'fake-counter')).toBeUndefined();
  });
});
