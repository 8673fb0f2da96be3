import { describe, expect, it } from 'vitest';
import { setCondition } from './conditions.ts';

const t1 = new Date('2026-01-01T00:00:00Z');
const t2 = new Date('2026-01-01T00:05:00Z');

describe('setCondition', () => {
  it('adds a condition stamped now', () => {
    expect(setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok' }, t1)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: t1.toISOString() },
    ]);
  });
  it('keeps the transition time when only the reason or message changes', () => {
    const first = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'KafkaError', message: 'a' }, t1);
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'InvalidConfig', message: 'b', observedGeneration: 2 },
      t2,
    );
    expect(second).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'InvalidConfig',
        message: 'b',
        observedGeneration: 2,
        lastTransitionTime: t1.toISOString(),
      },
    ]);
  });
  it('moves the transition time when the status flips, and leaves other conditions alone', () => {
    const list = setCondition(
      setCondition(undefined, { type: 'Ready', status: 'False', reason: 'X', message: '' }, t1),
      { type: 'Active', status: 'True', reason: 'Y', message: '' },
      t1,
    );
    const flipped = setCondition(list, { type: 'Ready', status: 'True', reason: 'Reconciled', message: '' }, t2);
    expect(flipped.map((c) => [c.type, c.lastTransitionTime])).toEqual([
      ['Ready', t2.toISOString()],
      ['Active', t1.toISOString()],
    ]);
  });
});
