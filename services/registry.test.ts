import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contractDrift, publishedSchemas } from '../lib/contracts-files.ts';
import { imageTable } from '../lib/service-manifest.ts';
import { serviceRegistry } from './registry.ts';

const contracts = serviceRegistry.flatMap((s) => s.contracts);

describe('platform event contracts', () => {
  it('match their published schemas in contracts/, or changed only compatibly', () => {
    expect(contractDrift(contracts, publishedSchemas(join(import.meta.dirname, '..', 'contracts')))).toEqual([]);
  });

  it('are one contract per type, each on the topic its producer writes', () => {
    const types = contracts.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    for (const c of contracts) expect(c.topic).toMatch(/^[a-z][a-z0-9-]*\.events$/);
    const produced = new Set(serviceRegistry.flatMap((s) => s.workloads.flatMap((w) => (w.produces ?? []).map((t) => t.topicName))));
    for (const c of contracts) expect(produced, `${c.type} is on ${c.topic}, which no service produces`).toContain(c.topic);
  });
});

describe('the registry', () => {
  it('names each service, workload and database once, each workload running a bundle of its own image', () => {
    const once = (names: string[]) => expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    once(serviceRegistry.map((s) => s.name));
    once(serviceRegistry.flatMap((s) => s.workloads.map((w) => w.name)));
    once(serviceRegistry.flatMap((s) => s.workloads.flatMap((w) => (w.database ? [w.database] : []))));
    for (const s of serviceRegistry)
      for (const w of s.workloads) expect(Object.keys(s.bundles), `${w.name} runs ${w.bundle}`).toContain(w.bundle);
    expect(() => imageTable([...serviceRegistry, ...serviceRegistry.slice(0, 1)])).toThrow(/two images named catalog/);
  });

  it('points every bundle at an entry point of its own folder', () => {
    for (const s of serviceRegistry)
      for (const entry of Object.values(s.bundles)) expect(entry.startsWith(`services/${s.name}/`), entry).toBe(true);
  });
});
