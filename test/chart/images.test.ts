import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { platformImages } from '../../cdk8s/images.ts';
import { profiles } from '../../cdk8s/profile.ts';
import { bundle } from '../../scripts/bundle.ts';
import { repoRoot, versions } from '../../shared/versions.ts';
import { parseObjects, synthFiles } from './synth.ts';

const run = promisify(execFile);
const images = platformImages();
const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const out = mkdtempSync(join(tmpdir(), 'eventide-bundle-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the Dockerfile (checked without a Docker engine)', () => {
  it('copies only what the build context holds and .dockerignore lets through', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(existsSync(join(repoRoot, source)), `${source} is missing from the context`).toBe(true);
      const top = source.replace(/\/$/, '').split('/')[0];
      expect(
        dockerignore.includes(top as string) || dockerignore.includes(source.replace(/\/$/, '')),
        `${source} is excluded by .dockerignore`,
      ).toBe(false);
    }
  });

  it('copies every repository directory the bundles are built from', async () => {
    const copied = new Set(
      [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/)).map((s) => s.split('/')[0]),
    );
    const entries = Object.values(images).flatMap((files) => Object.values(files));
    const { metafile } = await build({
      entryPoints: entries.map((e) => join(repoRoot, e)),
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      outdir: out,
      logLevel: 'silent',
    });
    const tops = new Set(
      Object.keys(metafile.inputs)
        .filter((f) => !f.startsWith('node_modules/'))
        .map((f) => f.split('/')[0]),
    );
    expect(tops.size).toBeGreaterThan(1);
    for (const top of tops) expect(copied.has(top), `the bundles read ${top}/, which the Dockerfile does not copy`).toBe(true);
  }, 60_000);

  it('builds from the Node version in versions.json', () => {
    expect(dockerfile).toContain(`ARG NODE_VERSION=${versions.node}`);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-alpine/m);
  });

  it('runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
  });
});

describe('bundles', () => {
  it('every command in the chart names a bundle of the image it runs', () => {
    const workloads = [...synthFiles(profiles.kind).values()].flatMap(parseObjects).filter((o) => o.kind === 'Deployment');
    for (const workload of workloads) {
      const container = (workload.spec as { template: { spec: { containers: { image: string; command?: string[] }[] } } }).template.spec
        .containers[0];
      const image = /^eventide\/([^:]+):/.exec(container?.image ?? '')?.[1];
      if (!image) continue;
      expect(Object.keys(images[image] ?? {}), `${workload.metadata.name}`).toContain(container?.command?.[1]);
    }
  });

  it.each([
    ['operator', 'eventide-operator: invalid configuration'],
    ['catalog', 'catalog: invalid configuration'],
    ['search', 'search-'],
    ['category-counts', 'category-counts: invalid configuration'],
  ])(
    'the %s bundle runs on its own and checks its configuration first',
    async (image, message) => {
      const files = await bundle(image, join(out, image));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const result = await run(process.execPath, [file], { cwd: out, env: { PATH: process.env.PATH } }).catch(
          (e: { code: number; stderr: string }) => e,
        );
        expect('code' in result ? result.code : 0).toBe(1);
        expect('stderr' in result ? result.stderr : '').toContain(message);
      }
      // Bundling and starting each entry point takes seconds on a busy 2-core machine.
    },
    60_000,
  );
});
