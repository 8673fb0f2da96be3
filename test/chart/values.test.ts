import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { imageRef } from '../../cdk8s/images.ts';
import { kind, loadProfile, production, profileOf } from '../../cdk8s/profile.ts';
import { parseValues, ValuesError, valuesTable } from '../../cdk8s/values.ts';
import { eventideImage } from '../../devkit/kubelet/program.ts';
import { platformVersion, repoRoot } from '../../shared/versions.ts';
import { parseObjects, synthFiles } from './synth.ts';

const run = promisify(execFile);
const problems = (text: string): string[] => {
  try {
    parseValues(text, 'my.yaml');
  } catch (error) {
    if (error instanceof ValuesError) return error.problems;
    throw error;
  }
  throw new Error('the values were accepted');
};

describe('a values file', () => {
  it('needs only a name: every other field has its default, the kind profile', () => {
    const { name, ...mine } = profileOf(parseValues('name: mine\n', 'my.yaml'));
    const { name: _kind, ...defaults } = kind;
    expect(name).toBe('mine');
    expect(mine).toEqual(defaults);
    expect(kind.namespace).toBe('eventide');
    expect(kind.images).toEqual({ registry: undefined, tag: platformVersion });
    expect(kind.operatorNamespaces).toEqual(['eventide']);
    expect(kind.tracing).toEqual({ sampleRatio: 1 });
  });

  it('gives the production profile from deploy/values/production.yaml', () => {
    expect(production.kafka).toEqual({
      brokers: 3,
      controllers: 3,
      replicationFactor: 3,
      minInsyncReplicas: 2,
      storage: '100Gi',
      authentication: true,
      external: undefined,
    });
    expect(production.tracing).toBeUndefined();
    expect(production.highAvailability).toBe(true);
    expect(production.externalSecrets).toContain('elasticsearch-certs');
  });

  it('changes the namespace, the images, sizes, tenants and tracing', () => {
    const profile = profileOf(
      parseValues(
        [
          'name: shop',
          'namespace: shop-events',
          'images: { registry: "registry.example.com:5000/platform", tag: "2.0.0-rc.1" }',
          'kafka: { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2, storage: 10Gi, external: null }',
          'elasticsearch: { nodes: 3, memory: 2Gi }',
          'tenants: [north, south]',
          'tracing: { sampleRatio: 0.1, endpoint: "http://otel-collector.monitoring:4318" }',
        ].join('\n'),
        'shop.yaml',
      ),
    );
    expect(profile.namespace).toBe('shop-events');
    expect(profile.operatorNamespaces).toEqual(['shop-events']);
    expect(profile.tenants).toEqual(['north', 'south']);
    expect(profile.tracing).toEqual({ sampleRatio: 0.1, endpoint: 'http://otel-collector.monitoring:4318' });
    expect(profile.elasticsearch).toMatchObject({ nodes: 3, memory: '2Gi', heap: '512m' });
    const image = imageRef('catalog', profile.images);
    expect(image).toBe('registry.example.com:5000/platform/eventide/catalog:2.0.0-rc.1');
    // The local node agent still knows the image behind a registry.
    expect(eventideImage(image)).toBe('catalog');
    // Pulled from the registry, where kind's locally loaded images are never pulled.
    expect(profile.eventideImagePullPolicy).toBe('IfNotPresent');
    expect(kind.eventideImagePullPolicy).toBe('Never');
    expect(production.eventideImagePullPolicy).toBe('IfNotPresent');
  });

  it.each([
    ['a missing name', 'namespace: x\n', ['name: Invalid input: expected string, received undefined']],
    ['an unknown field (a typo)', 'name: a\nkafka: { brokrs: 3 }\n', ['kafka: Unrecognized key: "brokrs"']],
    [
      'a field of the wrong type',
      'name: a\nkafka: { brokers: "three" }\n',
      ['kafka.brokers: Invalid input: expected number, received string'],
    ],
    ['no brokers', 'name: a\nkafka: { brokers: 0 }\n', ['kafka.brokers: Too small: expected number to be >=1']],
    [
      'a namespace Kubernetes refuses',
      'name: a\nnamespace: Shop_Events\n',
      ['namespace: must be a DNS label: lower-case letters, digits and "-", e.g. "eventide"'],
    ],
    [
      'a size that is no quantity',
      'name: a\npostgres: { storage: 20 GB }\n',
      ['postgres.storage: must be a Kubernetes quantity, e.g. "2Gi" or "500m"'],
    ],
    [
      'a registry with a scheme',
      'name: a\nimages: { registry: "https://ghcr.io/acme" }\n',
      ['images.registry: must be a registry host and path, e.g. "ghcr.io/acme"'],
    ],
    [
      'a tenant that is no label',
      'name: a\ntenants: [school-a, School B]\n',
      ['tenants.1: must be a DNS label: lower-case letters, digits and "-", e.g. "eventide"'],
    ],
    ['a sample ratio above 1', 'name: a\ntracing: { sampleRatio: 2 }\n', ['tracing.sampleRatio: Too big: expected number to be <=1']],
    ['a tracing endpoint that is no URL', 'name: a\ntracing: { endpoint: collector }\n', ['tracing.endpoint: Invalid URL']],
    [
      'more replicas than brokers',
      'name: a\nkafka: { replicationFactor: 3 }\n',
      ['kafka.replicationFactor: must be at most kafka.brokers (1)'],
    ],
    [
      'min.insync.replicas above the replicas',
      'name: a\nkafka: { brokers: 3, replicationFactor: 2, minInsyncReplicas: 3, external: null }\n',
      ['kafka.minInsyncReplicas: must be at most kafka.replicationFactor (2)'],
    ],
    [
      'a host port mapping short of the brokers',
      'name: a\nkafka: { brokers: 2, replicationFactor: 2 }\n',
      ['kafka.external.brokers: must list one port mapping per broker (2)'],
    ],
    [
      'YAML that does not parse',
      'name: a\nkafka: { brokers: 3\n',
      ['line 3: Flow map in block collection must be sufficiently indented and end with a } at line 3, column 1'],
    ],
  ])('names %s with its path', (_what, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('says which file, and every problem at once', () => {
    expect(() => parseValues('name: a\nnamespace: A\nexamples: maybe\n', 'values/mine.yaml')).toThrow(
      [
        'values/mine.yaml is not a valid values file:',
        '  values/mine.yaml: namespace: must be a DNS label: lower-case letters, digits and "-", e.g. "eventide"',
        '  values/mine.yaml: examples: Invalid input: expected boolean, received string',
      ].join('\n'),
    );
  });
});

describe('a chart from a values file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-values-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is not written from a file that is not valid: synth exits 1 naming each problem', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nkafka: { brokrs: 3 }\n');
    const out = join(dir, 'bad-chart');
    const failed = await run(process.execPath, ['cdk8s/main.ts'], { cwd: repoRoot, env: { ...process.env, VALUES: file, OUT: out } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toBe(`${file} is not a valid values file:\n  ${file}: kafka: Unrecognized key: "brokrs"\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('puts every namespaced object in its namespace and runs its images from its registry', () => {
    const file = join(dir, 'shop.yaml');
    writeFileSync(file, 'name: shop\nnamespace: shop-events\nimages: { registry: ghcr.io/acme }\n');
    const objects = [...synthFiles(loadProfile(file)).values()].flatMap(parseObjects);
    const namespaced = objects.filter((o) => !['CustomResourceDefinition', 'Namespace'].includes(o.kind));
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(['shop-events']));
    expect(objects.find((o) => o.kind === 'Namespace')?.metadata.name).toBe('shop-events');
    const images = JSON.stringify(objects).match(/"image":"[^"]*eventide\/[^"]+"/g) ?? [];
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) expect(image).toMatch(new RegExp(`"image":"ghcr\\.io/acme/eventide/[a-z-]+:${platformVersion}"`));
    expect(JSON.stringify(objects)).toContain('eventide-kafka-bootstrap.shop-events.svc:9092');
    expect(JSON.stringify(objects)).not.toMatch(/\.eventide\.svc/);
  });
});

it("docs/chart-and-kind.md's values table is the schema's (paste `valuesTable()` after changing cdk8s/values.ts)", () => {
  expect(readFileSync(join(repoRoot, 'docs/chart-and-kind.md'), 'utf8')).toContain(valuesTable());
});
