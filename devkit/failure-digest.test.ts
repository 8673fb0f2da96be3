import { describe, expect, it } from 'vitest';
import { summarize } from './failure-digest.ts';

describe('summarize', () => {
  it('keeps the first three non-empty lines of a message on one line', () => {
    const error = { name: 'Error', message: 'postgres: not accepting connections within 60 s\n\nLog /tmp/x.log:\nline 1\nline 2' };
    expect(summarize(error)).toBe('postgres: not accepting connections within 60 s ⏎ Log /tmp/x.log: ⏎ line 1');
  });

  it('names an error type other than Error', () => {
    expect(summarize({ name: 'AssertionError', message: 'expected 1 to be 2' })).toBe('AssertionError: expected 1 to be 2');
  });

  it('cuts a long message to 240 characters', () => {
    const text = summarize({ name: 'Error', message: 'x'.repeat(1_000) });
    expect(text).toHaveLength(240);
    expect(text.endsWith('…')).toBe(true);
  });
});
