import { describe, expect, it } from 'vitest';
import { median, percentile, spread, table } from './stats.ts';

describe('percentile (nearest rank)', () => {
  const values = [15, 20, 35, 40, 50];
  it.each([
    [0, 15],
    [30, 20],
    [40, 20],
    [50, 35],
    [100, 50],
  ])('p%i of %j', (p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
  it('does not depend on input order', () => {
    expect(median([9, 1, 5])).toBe(5);
  });
  it('refuses empty input and bad ranks', () => {
    expect(() => percentile([], 50)).toThrow(/no values/);
    expect(() => percentile([1], 101)).toThrow(/outside/);
  });
  it('spread gives min, median and max', () => {
    expect(spread([3, 1, 2, 10])).toEqual({ min: 1, median: 2, max: 10 });
  });
});

describe('table', () => {
  it('pads columns to the widest cell', () => {
    expect(table(['a', 'bb'], [['ccc', 'd']])).toBe('a    bb\n---  --\nccc  d');
  });
});
