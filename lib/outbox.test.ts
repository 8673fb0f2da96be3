import { describe, expect, it } from 'vitest';
import { Outbox, outboxTableSql } from './outbox.ts';

describe('Outbox', () => {
  it('names its table and channel, the channel defaulting to the table', () => {
    expect(new Outbox()).toMatchObject({ table: 'outbox', channel: 'outbox' });
    expect(new Outbox({ table: 'ledger_outbox' })).toMatchObject({ table: 'ledger_outbox', channel: 'ledger_outbox' });
    expect(new Outbox({ table: 'ledger_outbox', channel: 'ledger' })).toMatchObject({ channel: 'ledger' });
  });

  it('numbers its insert parameters from where the caller says, for use inside a larger statement', () => {
    expect(new Outbox().insertSql(6)).toBe('INSERT INTO outbox (topic, key, value, headers) VALUES ($6, $7, $8, $9)');
    expect(new Outbox().params({ topic: 't', key: 'k', value: 'v', headers: { a: 'b' } })).toEqual(['t', 'k', 'v', { a: 'b' }]);
  });

  it('appends several records in one statement, their parameters record after record', () => {
    expect(new Outbox().insertManySql(2)).toBe('INSERT INTO outbox (topic, key, value, headers) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)');
  });

  it('wakes the relay only once the transaction has committed', async () => {
    const outbox = new Outbox();
    let woken = 0;
    outbox.onCommitted(() => woken++);
    const tx = { query: async () => ({ rowCount: 1 }) };
    await outbox.append(tx, { topic: 't', key: 'k', value: 'v', headers: {} });
    expect(woken).toBe(0);
    outbox.committed();
    expect(woken).toBe(1);
  });

  it('refuses a name that is not a plain identifier, since it is spliced into SQL', () => {
    expect(() => new Outbox({ table: 'outbox; DROP TABLE events' })).toThrow(/plain SQL identifier/);
    expect(() => new Outbox({ channel: "x'y" })).toThrow(/plain SQL identifier/);
    expect(() => outboxTableSql('Outbox')).toThrow(/plain SQL identifier/);
  });
});
