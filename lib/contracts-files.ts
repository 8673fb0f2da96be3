import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Contract, incompatibilities, type JsonSchema, jsonSchemaOf } from './contracts.ts';

/** contracts/<type>.json: the published JSON Schema of each event type, committed. */
export const schemaFile = (dir: string, type: string) => join(dir, `${type}.json`);

export function publishedSchemas(dir: string): Map<string, JsonSchema> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  return new Map(files.map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as JsonSchema]));
}

/**
 * What is wrong between the contracts in code and the schemas published in `dir`: a type without
 * a published schema (run make contracts), a published type no contract has any more (retiring a
 * type is deliberate: delete its file), and every incompatible change to a published type.
 */
export function contractDrift(contracts: readonly Contract[], published: Map<string, JsonSchema>): string[] {
  const problems: string[] = [];
  const current = new Map(contracts.map((c) => [c.type, c]));
  for (const [type, schema] of published) {
    const contract = current.get(type);
    if (!contract) {
      problems.push(`${type}: published, but no contract has it; delete contracts/${type}.json to retire it`);
      continue;
    }
    for (const problem of incompatibilities(schema, jsonSchemaOf(contract)))
      problems.push(`${type}: ${problem} — an incompatible change needs a new .vN type`);
  }
  for (const type of current.keys()) if (!published.has(type)) problems.push(`${type}: not published yet; run make contracts`);
  return problems;
}
