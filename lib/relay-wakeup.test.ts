import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { relayWakeup } from './relay-wakeup.ts';

const log = pino({ level: 'silent' });

/** A pool whose queries stay pending until released, to see what is in flight. */
function heldPool() {
  const pending: (() => void)[] = [];
  const queries: unknown[][] = [];
  return {
    queries,
    release: () => pending.shift()?.(),
    query: (_text: string, params: unknown[]) => {
      queries.push(params);
      return new Promise((resolve) => pending.push(() => resolve({ rows: [] })));
    },
  };
}

describe('relayWakeup', () => {
  it('nudges a relay that leads in this process, with no database work', () => {
    let nudged = 0;
    const pool = heldPool();
    const wake = relayWakeup({ relay: { isLeader: true, nudge: () => nudged++ }, pool: pool as never, channel: 'outbox', log });
    wake();
    wake();
    expect(nudged).toBe(2);
    expect(pool.queries).toHaveLength(0);
  });

  it('otherwise NOTIFYs the channel, at most one in flight and one queued however many commits come', async () => {
    const pool = heldPool();
    const wake = relayWakeup({ relay: { isLeader: false, nudge: () => undefined }, pool: pool as never, channel: 'ledger', log });
    for (let i = 0; i < 10; i++) wake();
    expect(pool.queries).toEqual([['ledger']]);
    pool.release();
    await new Promise((r) => setImmediate(r));
    expect(pool.queries).toHaveLength(2);
    pool.release();
    await new Promise((r) => setImmediate(r));
    expect(pool.queries).toHaveLength(2);
  });
});
