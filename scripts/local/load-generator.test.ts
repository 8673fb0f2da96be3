import { describe, expect, it } from 'vitest';
import { eventInput } from '../../services/catalog/schema.ts';
import { pickKind, sampleEvent } from './load-generator.ts';

describe('the load mix', () => {
  const mix = { create: 6, update: 3, delete: 1 };

  it('creates while nothing exists to change', () => {
    expect(pickKind(mix, 0, 0.99)).toBe('create');
  });

  it('splits the unit interval by the shares', () => {
    expect(pickKind(mix, 5, 0.0)).toBe('create');
    expect(pickKind(mix, 5, 0.59)).toBe('create');
    expect(pickKind(mix, 5, 0.61)).toBe('update');
    expect(pickKind(mix, 5, 0.89)).toBe('update');
    expect(pickKind(mix, 5, 0.95)).toBe('delete');
  });

  it('generates events the catalog accepts', () => {
    for (let i = 0; i < 50; i++) expect(eventInput.safeParse(sampleEvent()).success).toBe(true);
  });
});
