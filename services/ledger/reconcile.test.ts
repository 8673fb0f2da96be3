import { describe, expect, it } from 'vitest';
import { eventCoverage, reconcile, withoutEffects } from './reconcile.ts';

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

describe('eventCoverage', () => {
  const journal = new Map([
    ['e1', { merchantId: 'a', amountMinor: 500 }],
    ['e2', { merchantId: 'a', amountMinor: -200 }],
  ]);
  it('finds every event of the window booked once, on its merchant, for its amount', () => {
    expect(
      eventCoverage(
        [
          { eventId: 'e1', merchantId: 'a', amountMinor: 500 },
          { eventId: 'e2', merchantId: 'a', amountMinor: -200 },
        ],
        journal,
      ),
    ).toEqual([]);
  });
  it('names an event the journal lacks, and one booked for another merchant or amount', () => {
    const problems = eventCoverage(
      [
        { eventId: 'e1', merchantId: 'b', amountMinor: 500 },
        { eventId: 'e3', merchantId: 'a', amountMinor: 7 },
      ],
      journal,
    );
    expect(problems.map((p) => p.eventId)).toEqual(['e1', 'e3']);
    expect(problems[1]?.problem).toMatch(/not in the journal/);
  });
});

describe('withoutEffects', () => {
  it('takes out what one source holds and the other has not booked yet', () => {
    expect(withoutEffects(m([['a', 700]]), m([['a', 200]]))).toEqual(m([['a', 500]]));
    expect(withoutEffects(m([['a', 700]]), m([['b', 5]]))).toEqual(
      m([
        ['a', 700],
        ['b', -5],
      ]),
    );
  });
});
