/** docs/adding-a-service.md quotes the worked example's size: the figures are the files' real line counts. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/versions.ts';

const page = readFileSync(join(repoRoot, 'docs/adding-a-service.md'), 'utf8');
const lines = (file: string) => readFileSync(join(repoRoot, 'services/category-counts', file), 'utf8').split('\n').length - 1;

describe('the worked example as docs/adding-a-service.md counts it', () => {
  const quoted = /\*\*(\d+) lines\*\* \(`wc -l`: ([^)]*)\)/.exec(page);
  const files = [...(quoted?.[2] ?? '').matchAll(/`([\w.-]+\.ts)` (\d+)/g)].map((m) => ({ file: m[1] ?? '', count: Number(m[2]) }));

  it('quotes a total and its files', () => {
    expect(quoted).not.toBeNull();
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  it('quotes every source file of the example, tests aside, at its line count', () => {
    expect(files.map((f) => `${f.file} ${lines(f.file)}`)).toEqual(files.map((f) => `${f.file} ${f.count}`));
    const sources = readdirSync(join(repoRoot, 'services/category-counts')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files.map((f) => f.file).sort()).toEqual(sources);
    expect(Number(quoted?.[1])).toBe(files.reduce((sum, f) => sum + f.count, 0));
  });
});
