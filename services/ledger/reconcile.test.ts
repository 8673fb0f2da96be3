import { describe, expect, it } from 'vitest';
import { reconcile } from './reconcile.ts';

const m = (entries: [string, number][]) => new Map(entries);

describe('reconcile', () => {
  it('finds nothing when all four agree, a merchant missing from one source counting as 0', () => {
    const same = m([
      ['a', 500],
      ['b', 0],
    ]);
    expect(reconcile({ journal: same, accounts: same, payments: same, events: m([['a', 500]]) })).toEqual([]);
  });

  it('names the merchant and every figure when one source is off by one minor unit', () => {
    const books = m([['a', 500]]);
    expect(reconcile({ journal: books, accounts: books, payments: books, events: m([['a', 499]]) })).toEqual([
      { merchantId: 'a', values: { journal: 500, accounts: 500, payments: 500, events: 499 } },
    ]);
  });
});
