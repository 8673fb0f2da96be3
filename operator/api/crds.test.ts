import { describe, expect, it } from 'vitest';
import { crds } from './crds.ts';

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema };

/** Every property under `properties`, at any depth (through array items), as a kubectl explain path. */
function* properties(schema: Schema, path: string): Generator<[string, Schema]> {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    // The API server forbids anything but name/generateName under metadata; it documents it itself.
    if (path.split('.').length === 1 && name === 'metadata') continue;
    yield [`${path}.${name}`, child];
    yield* properties(child, `${path}.${name}`);
  }
  if (schema.items) yield* properties(schema.items, path);
}

describe('CRD schemas', () => {
  // `kubectl explain` prints these descriptions; a field without one is a field nobody can look up.
  it.each(crds.map((crd) => [crd.spec.names.plural, crd] as const))('%s: every field has a description', (plural, crd) => {
    for (const version of crd.spec.versions) {
      const root = version.schema.openAPIV3Schema as Schema;
      const all = [...properties(root, plural)];
      expect(all.length).toBeGreaterThan(10);
      const missing = all.filter(([, s]) => !s.description?.trim()).map(([path]) => path);
      expect(missing, `fields without a description in ${plural} ${version.name}`).toEqual([]);
    }
  });
});
