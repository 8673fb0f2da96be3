import { describe, expect, it } from 'vitest';
import { HttpProblem } from './http/problem.ts';
import { canonicalJson, replayOrMismatch } from './idempotency.ts';

describe('canonicalJson', () => {
  it('sorts members at every depth and drops undefined ones', () => {
    expect(canonicalJson({ b: [{ d: 1, c: null }], a: 'x', u: undefined })).toBe('{"a":"x","b":[{"c":null,"d":1}]}');
  });
});

describe('replayOrMismatch', () => {
  it('replays the first answer to the same request, and refuses another request under the same key with 422', () => {
    const stored = { hash: 'h1', answer: { id: 'p1' } };
    expect(replayOrMismatch(stored, { key: 'k', hash: 'h1' })).toEqual({ id: 'p1' });
    let refused: unknown;
    try {
      replayOrMismatch(stored, { key: 'k', hash: 'h2' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(HttpProblem);
    expect((refused as HttpProblem).problem.status).toBe(422);
  });
});
