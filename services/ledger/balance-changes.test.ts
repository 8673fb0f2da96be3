import { describe, expect, it } from 'vitest';
import { balanceChanges } from './ledger.ts';

describe('balanceChanges', () => {
  it("sums each merchant account's legs, one change per account in account order, and leaves the world outside out", () => {
    const [a, b] = ['0b6f4c9e-0000-4000-8000-000000000002', '0b6f4c9e-0000-4000-8000-000000000001'];
    expect(
      balanceChanges([
        { account: 'external:payments', amount: -100 },
        { account: `merchant:${a}:available`, amount: 100 },
        { account: `merchant:${b}:available`, amount: 40 },
        { account: `merchant:${a}:available`, amount: -30 },
        { account: `merchant:${a}:reserved`, amount: 30 },
        { account: 'external:payouts', amount: 5 },
      ]),
    ).toEqual([
      { merchantId: b, kind: 'available', delta: 40n },
      { merchantId: a, kind: 'available', delta: 70n },
      { merchantId: a, kind: 'reserved', delta: 30n },
    ]);
  });

  it('is one change for one account however its id is spelled, and exact beyond 2^53', () => {
    const id = '0b6f4c9e-0000-4000-8000-00000000000a';
    const max = Number.MAX_SAFE_INTEGER;
    expect(
      balanceChanges([
        { account: `merchant:${id}:available`, amount: max },
        { account: `merchant:${id.toUpperCase()}:available`, amount: max },
      ]),
    ).toEqual([{ merchantId: id, kind: 'available', delta: 2n * BigInt(max) }]);
  });
});
