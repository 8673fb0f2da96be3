import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { parseNeeds, type ServerKind } from './needs.ts';
import type { LocalServer } from './server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    elasticsearchUrl: string;
    databaseUrl: string;
  }
}

// Imported on demand: a run that needs no Kafka does not even load its client.
const starters: Record<ServerKind, () => Promise<LocalServer>> = {
  kafka: async () => (await import('./kafka.ts')).startKafka(),
  elasticsearch: async () => (await import('./elasticsearch.ts')).startElasticsearch(),
  postgres: async () => (await import('./postgres.ts')).startPostgres(),
};

const provideKey = { kafka: 'kafkaBrokers', elasticsearch: 'elasticsearchUrl', postgres: 'databaseUrl' } as const;

/**
 * Starts, once per run, only the servers that the selected suites name in `// @needs`, and stops
 * them afterwards whether the tests passed, failed or were interrupted.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { testFiles } = await project.globTestFiles(project.vitest.config.filters);
  const needed = new Set<ServerKind>();
  for (const file of testFiles) for (const kind of parseNeeds(readFileSync(file, 'utf8'), file)) needed.add(kind);

  const started: LocalServer[] = [];
  const teardown = async () => {
    await Promise.allSettled(
      started.map(async (server) => {
        const t0 = Date.now();
        await server.dispose();
        console.log(`[infra] ${server.name} stopped (${Date.now() - t0} ms)`);
      }),
    );
  };
  const results = await Promise.allSettled(
    [...needed].map(async (kind) => {
      const t0 = Date.now();
      const server = await starters[kind]();
      started.push(server);
      console.log(`[infra] ${kind} ${server.managed ? 'started' : 'from environment'} at ${server.endpoint} (${Date.now() - t0} ms)`);
      project.provide(provideKey[kind], server.endpoint);
    }),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await teardown();
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'));
  }
  return teardown;
}
