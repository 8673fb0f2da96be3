import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/versions.ts';
import { importCycles, layerOf, upwardImports } from './architecture/layers.ts';

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const sources = new Map(files.map((file) => [file, readFileSync(join(repoRoot, file), 'utf8')]));
const importing = (pattern: RegExp) => files.filter((f) => pattern.test(sources.get(f) ?? ''));

describe('the layout', () => {
  it('has one module that imports kafkajs, besides the benchmarks and the smoke tests of kafkajs itself', () => {
    const found = importing(/from 'kafkajs'/).filter((f) => !/^(bench|test\/smoke)\//.test(f) && f !== 'test/architecture.test.ts');
    expect(found).toEqual(['lib/kafka.ts']);
  });

  it('puts every TypeScript file in a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined && f.includes('/'))).toEqual([]);
  });

  it('has every import run down the layers (test/architecture/layers.ts)', () => {
    expect(upwardImports(sources)).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(importCycles(sources)).toEqual([]);
  });
});

describe('the layer rule', () => {
  it('fails on an upward import, one across a layer of the same rank, and one of a test', () => {
    const planted = new Map([
      ['cdk8s/chart.ts', "import { repoRoot } from '../devkit/paths.ts';\n"],
      ['lib/x.ts', "export { y } from './y.ts';\nconst later = await import('../scripts/bundle.ts');\n"],
      ['services/a/main.ts', "import type { Operator } from '../../operator/operator.ts';\n"],
      ['bench/b/main.ts', "import { compare } from '../../test/e2e/helper.ts';\n"],
      ['scripts/s.ts', "import { fixture } from './s.fixture.ts';\nimport { ok } from '../lib/ok.ts';\n"],
    ]);
    expect(upwardImports(planted)).toEqual([
      { from: 'cdk8s/chart.ts', to: 'devkit/paths.ts', why: 'cdk8s imports devkit, a layer above it' },
      { from: 'lib/x.ts', to: 'scripts/bundle.ts', why: 'lib imports scripts, a layer above it' },
      { from: 'services/a/main.ts', to: 'operator/operator.ts', why: 'services imports operator, a layer beside it' },
      { from: 'bench/b/main.ts', to: 'test/e2e/helper.ts', why: 'bench imports test, a layer beside it' },
      { from: 'scripts/s.ts', to: 'scripts/s.fixture.ts', why: 'imports a test' },
    ]);
  });

  it('finds a cycle', () => {
    const planted = new Map([
      ['operator/a.ts', "import { b } from './b.ts';\n"],
      ['operator/b.ts', "import { a } from './a.ts';\n"],
      ['operator/c.ts', "import { a } from './a.ts';\n"],
    ]);
    expect(importCycles(planted)).toEqual([['operator/a.ts', 'operator/b.ts', 'operator/a.ts']]);
  });
});
