/**
 * make contracts: writes the JSON Schema of every platform event type to contracts/<type>.json,
 * for other teams to read. It refuses to overwrite a published type with an incompatible schema:
 * that change needs a new .vN type.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { incompatibilities, type JsonSchema, jsonSchemaOf } from '../lib/contracts.ts';
import { publishedSchemas, schemaFile } from '../lib/contracts-files.ts';
import { serviceRegistry } from '../services/registry.ts';

const dir = join(import.meta.dirname, '..', 'contracts');
mkdirSync(dir, { recursive: true });
const published = existsSync(dir) ? publishedSchemas(dir) : new Map<string, JsonSchema>();
let refused = 0;
for (const contract of serviceRegistry.flatMap((s) => s.contracts)) {
  const schema = jsonSchemaOf(contract);
  const before = published.get(contract.type);
  const problems = before ? incompatibilities(before, schema) : [];
  if (problems.length > 0) {
    refused++;
    console.error(`${contract.type}: not written, incompatible with the published schema:\n  ${problems.join('\n  ')}`);
    continue;
  }
  writeFileSync(schemaFile(dir, contract.type), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`${before ? 'updated' : 'published'} contracts/${contract.type}.json`);
}
if (refused > 0) process.exit(1);
