import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Jaeger } from '../cdk8s/jaeger.ts';
import { repoRoot } from '../shared/versions.ts';
import { cacheDir } from './paths.ts';
import { freePort } from './ports.ts';
import { launch, runBuildScript, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer, startProcessServer } from './server.ts';

const jaegerDir = join(repoRoot, 'devkit/jaeger');

export interface JaegerServer extends LocalServer {
  /** The query API (and UI page): `${url}/api/traces/<id>`. */
  readonly url: string;
  /** Where programs send spans: OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  readonly otlpEndpoint: string;
}

/** The Jaeger module version devkit/jaeger/wrapper/go.mod requires. */
export function jaegerModuleVersion(goMod = readFileSync(join(jaegerDir, 'wrapper/go.mod'), 'utf8')): string {
  const match = /^\s*github\.com\/jaegertracing\/jaeger (v\S+)/m.exec(goMod);
  if (!match?.[1]) throw new Error('devkit/jaeger/wrapper/go.mod requires no github.com/jaegertracing/jaeger version');
  return match[1];
}

/** The jaeger binary, built from the Go module proxy by devkit/jaeger/build.sh on first use. */
export async function jaegerBinary(): Promise<string> {
  const version = jaegerModuleVersion();
  const dir = cacheDir('jaeger', version);
  const binary = join(dir, 'jaeger');
  if (existsSync(binary)) return binary;
  process.stderr.write(`[infra] building Jaeger ${version} from the Go module proxy (cold: ~5 min on 2 cores)\n`);
  await runBuildScript('devkit/jaeger/build.sh', [], { EVENTIDE_JAEGER_DIR: dir }, `Jaeger ${version}`);
  return binary;
}

/**
 * Starts a real Jaeger (v2) with in-memory storage, or uses EVENTIDE_JAEGER_URL and
 * EVENTIDE_OTLP_ENDPOINT for one someone else runs.
 */
export async function startJaeger({ timeoutMs = 60_000 }: { timeoutMs?: number } = {}): Promise<JaegerServer> {
  const override = process.env.EVENTIDE_JAEGER_URL;
  if (override) {
    const otlpEndpoint = process.env.EVENTIDE_OTLP_ENDPOINT;
    if (!otlpEndpoint) throw new Error('EVENTIDE_JAEGER_URL is set: set EVENTIDE_OTLP_ENDPOINT (its OTLP/HTTP address) too');
    return { ...externalServer('jaeger', override), url: override, otlpEndpoint };
  }
  const binary = await jaegerBinary();
  const home = mkdtempSync(join(tmpdir(), 'eventide-jaeger-'));
  const ports = { otlp: await freePort(), query: await freePort(), health: await freePort() };
  const config = join(home, 'config.yaml');
  writeFileSync(config, Jaeger.config({ host: '127.0.0.1', ...ports }, 100_000));
  const url = `http://127.0.0.1:${ports.query}`;
  const answers = () =>
    fetch(`${url}/api/services`, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.ok)
      .catch(() => false);
  const server = await startProcessServer({
    name: 'jaeger',
    endpoint: url,
    home,
    launch: () => launch({ name: 'jaeger', command: binary, args: [`--config=file:${config}`], logFile: join(home, 'jaeger.log') }),
    ready: (proc) => waitUntilReady(proc, answers, { timeoutMs, what: `Jaeger's query API at ${url}` }),
  });
  return { ...server, url, otlpEndpoint: `http://127.0.0.1:${ports.otlp}` };
}
