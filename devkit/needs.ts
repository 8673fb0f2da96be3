/** The servers an integration suite can ask for. */
export const serverKinds = ['kafka', 'elasticsearch', 'postgres', 'kube', 'jaeger'] as const;
export type ServerKind = (typeof serverKinds)[number];

const directive = /^\s*\/\/\s*@needs\s+(.+)$/m;

/**
 * Reads a suite's `// @needs kafka postgres` line, so a run starts only the servers its selected
 * suites use. An unknown name is an error rather than a server silently not started.
 */
export function parseNeeds(source: string, file = 'test file'): ServerKind[] {
  const match = directive.exec(source);
  if (!match?.[1]) return [];
  const names = match[1].split(/[\s,]+/).filter(Boolean);
  for (const name of names) {
    if (!(serverKinds as readonly string[]).includes(name)) {
      throw new Error(`${file}: unknown server '${name}' in @needs (known: ${serverKinds.join(', ')})`);
    }
  }
  return [...new Set(names as ServerKind[])];
}
