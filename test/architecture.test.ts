import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../devkit/paths.ts';

const sources = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: repoRoot, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const importing = (pattern: RegExp) => sources.filter((file) => pattern.test(readFileSync(join(repoRoot, file), 'utf8')));

describe('the layout', () => {
  it('has one module that imports kafkajs, besides the benchmarks and the smoke tests of kafkajs itself', () => {
    const files = importing(/from 'kafkajs'/).filter((f) => !/^(bench|test\/smoke)\//.test(f) && f !== 'test/architecture.test.ts');
    expect(files).toEqual(['lib/kafka.ts']);
  });

  it('keeps test code out of the chart, the services and the library', () => {
    const files = importing(/from '(\.\.\/)+test\//).filter((f) => /^(cdk8s|services|lib|operator)\//.test(f) && !/\.test\.ts$/.test(f));
    expect(files).toEqual([]);
  });
});
