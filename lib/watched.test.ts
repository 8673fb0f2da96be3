import { describe, expect, it } from 'vitest';
import { specChanged } from './watched.ts';

const object = (generation: number, annotations?: Record<string, string>, deletionTimestamp?: Date) => ({
  metadata: { name: 'a', namespace: 'ns', generation, annotations, deletionTimestamp, resourceVersion: String(Math.random()) },
});

describe('specChanged', () => {
  it('is true for a first sight, a new generation, other annotations and a deletion begun', () => {
    expect(specChanged(undefined, object(1))).toBe(true);
    expect(specChanged(object(1), object(2))).toBe(true);
    expect(specChanged(object(1), object(1, { 'eventide.dev/paused': 'true' }))).toBe(true);
    expect(specChanged(object(1), object(1, undefined, new Date(0)))).toBe(true);
  });
  it('is false for a write that changed only the status (a new resourceVersion, same generation)', () => {
    expect(specChanged(object(3, { a: 'b' }), object(3, { a: 'b' }))).toBe(false);
  });
});
