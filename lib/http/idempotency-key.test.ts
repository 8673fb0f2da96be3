import { describe, expect, it } from 'vitest';
import { replayOrMismatch } from '../idempotency.ts';
import { idempotencyKey } from './idempotency-key.ts';
import { HttpProblem } from './problem.ts';

describe('idempotencyKey', () => {
  it('takes a key with the hash of its request, and tells a replay from a reuse', () => {
    expect(idempotencyKey(undefined, {})).toBeUndefined();
    expect(() => idempotencyKey(undefined, {}, { required: true })).toThrow(/needs an Idempotency-Key/);
    expect(() => idempotencyKey('', {})).toThrow(/1 to 200/);
    expect(() => idempotencyKey('k'.repeat(201), {})).toThrow(/1 to 200/);
    const first = idempotencyKey('k1', { amountMinor: 100 });
    const same = idempotencyKey('k1', { amountMinor: 100 });
    const other = idempotencyKey('k1', { amountMinor: 101 });
    expect(first?.hash).toBe(same?.hash);
    expect(first?.hash).not.toBe(other?.hash);
    const stored = { hash: first?.hash as string, answer: { id: 'p1' } };
    expect(replayOrMismatch(stored, same as NonNullable<typeof same>)).toEqual({ id: 'p1' });
    expect(() => replayOrMismatch(stored, other as NonNullable<typeof other>)).toThrow(HttpProblem);
  });

  it('one request whatever its field order or the letter case of its UUIDs', () => {
    const a = idempotencyKey('k', {
      path: '/m',
      body: { amountMinor: 5, currency: 'EUR', organizerId: '6F1D8E3A-7B90-4A7E-9B2C-5A1E3C8B0D4F' },
    });
    const b = idempotencyKey('k', {
      body: { organizerId: '6f1d8e3a-7b90-4a7e-9b2c-5a1e3c8b0d4f', currency: 'EUR', amountMinor: 5 },
      path: '/m',
    });
    expect(a?.hash).toBe(b?.hash);
    // Other strings keep their case: "EUR" and "eur" are two requests.
    expect(idempotencyKey('k', { currency: 'eur' })?.hash).not.toBe(idempotencyKey('k', { currency: 'EUR' })?.hash);
  });

  it('keys live in their caller scope', () => {
    expect(idempotencyKey('k', {}, { scope: 'merchant:m1' })?.key).not.toBe(idempotencyKey('k', {}, { scope: 'merchant:m2' })?.key);
  });
});
