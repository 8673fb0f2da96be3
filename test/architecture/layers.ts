/**
 * The repository's layers, lowest first, and the imports that break them. A module may import
 * from its own layer and the layers below; two layers of the same rank (operator and services,
 * bench and test) may not import each other. Tests (`*.test.ts`, `*.fixture.ts`) sit above
 * everything and nothing imports them.
 *
 *   shared ← lib ← operator | services ← cdk8s ← devkit ← testing ← scripts ← bench | test
 *
 * `testing` is the test support kept beside the code it serves (`services/catalog/testing/`,
 * `operator/testing/`): it starts servers with devkit, and scripts, benchmarks and tests use it.
 */
import { dirname, join, normalize } from 'node:path';

const ranks: Record<string, number> = {
  shared: 0,
  lib: 1,
  operator: 2,
  services: 2,
  cdk8s: 3,
  devkit: 4,
  testing: 5,
  scripts: 6,
  bench: 7,
  test: 7,
  tests: 8,
};

/** The layer a repository-relative .ts file belongs to, or undefined outside the layered folders. */
export function layerOf(file: string): string | undefined {
  if (/\.(test|fixture)\.ts$/.test(file)) return 'tests';
  if (/(^|\/)testing\//.test(file)) return 'testing';
  const top = file.split('/')[0] ?? '';
  return top in ranks ? top : undefined;
}

/** The repository-relative files a module imports (relative specifiers only: packages have no layer). */
export function importsOf(file: string, source: string): string[] {
  const specifiers = [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g),
  ];
  return specifiers.map((m) => normalize(join(dirname(file), m[1] ?? m[2] ?? '')));
}

export interface UpwardImport {
  from: string;
  to: string;
  why: string;
}

/** Every import that runs up the layers or across two layers of one rank. */
export function upwardImports(sources: ReadonlyMap<string, string>): UpwardImport[] {
  const found: UpwardImport[] = [];
  for (const [from, source] of sources) {
    const a = layerOf(from);
    if (a === undefined) continue;
    for (const to of importsOf(from, source)) {
      const b = layerOf(to);
      if (b === undefined || a === b) continue;
      const [ra, rb] = [ranks[a] as number, ranks[b] as number];
      if (b === 'tests') found.push({ from, to, why: 'imports a test' });
      else if (rb > ra) found.push({ from, to, why: `${a} imports ${b}, a layer above it` });
      else if (rb === ra) found.push({ from, to, why: `${a} imports ${b}, a layer beside it` });
    }
  }
  return found;
}

/** Import cycles among the modules (each as the files around it, the first repeated at the end). */
export function importCycles(sources: ReadonlyMap<string, string>): string[][] {
  const edges = new Map([...sources].map(([file, source]) => [file, importsOf(file, source).filter((to) => sources.has(to))]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of edges.keys()) if (!state.has(file)) visit(file);
  return cycles;
}
