import { readFileSync } from 'node:fs';
import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';
import { parseNeeds, type ServerKind } from './needs.ts';
import { withFreshPorts } from './ports.ts';
import type { LocalServer } from './server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    /** The broker's TLS + SCRAM listener as JSON (devkit/kafka.ts SecureListener); '' for a broker the environment named. */
    kafkaSecure: string;
    elasticsearchUrl: string;
    databaseUrl: string;
    kubeconfig: string;
    kubectl: string;
    jaegerUrl: string;
    otlpEndpoint: string;
  }
}

interface Started {
  server: LocalServer;
  provided: Partial<ProvidedContext>;
}

// Imported on demand: a run that needs no Kafka does not even load its client.
const starters: Record<ServerKind, () => Promise<Started>> = {
  async kafka() {
    const server = await (await import('./kafka.ts')).startKafka();
    return { server, provided: { kafkaBrokers: server.endpoint, kafkaSecure: server.secure ? JSON.stringify(server.secure) : '' } };
  },
  async elasticsearch() {
    const server = await (await import('./elasticsearch.ts')).startElasticsearch();
    return { server, provided: { elasticsearchUrl: server.url } };
  },
  async postgres() {
    const server = await (await import('./postgres.ts')).startPostgres();
    return { server, provided: { databaseUrl: server.url } };
  },
  async kube() {
    const server = await (await import('./kube.ts')).startKubeApiServer();
    return { server, provided: { kubeconfig: server.kubeconfig, kubectl: server.kubectl } };
  },
  async jaeger() {
    const server = await (await import('./jaeger.ts')).startJaeger();
    return { server, provided: { jaegerUrl: server.url, otlpEndpoint: server.otlpEndpoint } };
  },
};

/**
 * Starts, once per run, only the servers that the selected suites name in `// @needs`, and stops
 * them afterwards whether the tests passed, failed or were interrupted.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The CLI's file filters (`vitest run test/smoke/kube`): vitest sets them before global setups
  // run but does not type them as public; without them every suite's servers would start.
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
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
      const { server, provided } = await withFreshPorts(starters[kind]);
      started.push(server);
      console.log(`[infra] ${kind} ${server.managed ? 'started' : 'from environment'} at ${server.endpoint} (${Date.now() - t0} ms)`);
      for (const [key, value] of Object.entries(provided)) project.provide(key as keyof ProvidedContext, value);
    }),
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failures.length > 0) {
    await teardown();
    throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n\n'));
  }
  return teardown;
}
