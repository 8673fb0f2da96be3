import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, versions } from '../shared/versions.ts';
import { findJava, resolveMavenLibs } from './maven.ts';
import { cacheDir } from './paths.ts';

const run = promisify(execFile);

/** The Strimzi kinds whose CRDs the chart's resources need, by their model class. */
const kinds = {
  Kafka: 'io.strimzi.api.kafka.model.kafka.Kafka',
  KafkaNodePool: 'io.strimzi.api.kafka.model.nodepool.KafkaNodePool',
  KafkaUser: 'io.strimzi.api.kafka.model.user.KafkaUser',
} as const;

/**
 * Generates the CRD YAML of the Strimzi release in versions.json with Strimzi's own generator, the
 * way its build does, into the cache. Returns the paths of the YAML files, one per kind.
 */
export async function strimziCrds(): Promise<string[]> {
  const what = `Strimzi ${versions.strimzi} CRDs`;
  const outDir = cacheDir('strimzi', versions.strimzi, 'crds');
  const files = Object.keys(kinds).map((kind) => join(outDir, `${kind}.yaml`));
  if (files.every((file) => existsSync(file))) return files;

  // Strimzi 1.x is built for Java 21.
  const java = await findJava(what, 21);
  const libDir = await resolveMavenLibs({
    what,
    pom: join(repoRoot, 'devkit/strimzi/pom.xml'),
    properties: { 'strimzi.version': versions.strimzi },
    libDir: cacheDir('strimzi', versions.strimzi, 'lib'),
  });
  const staging = `${outDir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const targets = Object.entries(kinds).map(([kind, model]) => `${model}=${join(staging, `${kind}.yaml`)}`);
  try {
    await run(
      java,
      [
        '-cp',
        join(libDir, '*'),
        'io.strimzi.crdgenerator.CrdGenerator',
        '--label',
        'app:strimzi',
        '--label',
        'strimzi.io/crd-install:true',
        '--crd-api-version',
        'v1',
        '--api-versions',
        'v1',
        '--storage-version',
        'v1',
        '--yaml',
        ...targets,
      ],
      { timeout: 120_000 },
    );
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const e = error as Error & { stderr?: string };
    throw new Error(`${what}: Strimzi's CrdGenerator failed:\n${e.stderr || e.message}`);
  }
  return files;
}
