import { describe, expect, it } from 'vitest';
import { parseNeeds } from './needs.ts';

describe('parseNeeds', () => {
  it('reads the servers a suite names', () => {
    expect(parseNeeds("// @needs kafka postgres\nimport 'x';")).toEqual(['kafka', 'postgres']);
  });
  it('accepts commas and drops repeats', () => {
    expect(parseNeeds('// @needs kafka, elasticsearch,kafka')).toEqual(['kafka', 'elasticsearch']);
  });
  it('finds the line below a header comment', () => {
    expect(parseNeeds('/** docs */\n// @needs elasticsearch\n')).toEqual(['elasticsearch']);
  });
  it('needs nothing without the line', () => {
    expect(parseNeeds("import { it } from 'vitest';")).toEqual([]);
  });
  it('names the file and the unknown server', () => {
    expect(() => parseNeeds('// @needs kafka redis', 'a.int.test.ts')).toThrow(/a\.int\.test\.ts: unknown server 'redis'/);
  });
});
