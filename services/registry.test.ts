import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractDrift, publishedSchemas } from '../lib/contracts-files.ts';
import { platformContracts } from './contracts.ts';

describe('platform event contracts', () => {
  it('match their published schemas in contracts/, or changed only compatibly', () => {
    expect(contractDrift(platformContracts, publishedSchemas(join(import.meta.dirname, '..', 'contracts')))).toEqual([]);
  });

  it('are one contract per type, each on the topic its producer writes', () => {
    const types = platformContracts.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    for (const c of platformContracts) expect(c.topic).toMatch(/^[a-z][a-z0-9-]*\.events$/);
  });
});
