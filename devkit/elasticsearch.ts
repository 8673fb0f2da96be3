import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, versions } from '../shared/versions.ts';
import { findJava, resolveMavenLibs } from './maven.ts';
import { cacheDir } from './paths.ts';
import { freePort } from './ports.ts';
import { launch, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer, startProcessServer } from './server.ts';

const run = promisify(execFile);
const sourceRoot = join(repoRoot, 'devkit/elasticsearch/src/main/java');

export interface ElasticsearchServer extends LocalServer {
  readonly url: string;
}

function javaSources(dir = sourceRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? javaSources(join(dir, entry.name)) : entry.name.endsWith('.java') ? [join(dir, entry.name)] : [],
  );
}

/** Compiles the launcher once per ES version and source content; a changed launcher recompiles. */
async function compileLauncher(java: string, libDir: string): Promise<string> {
  const sources = javaSources().sort();
  const hash = createHash('sha256');
  for (const file of sources) hash.update(relative(sourceRoot, file)).update(readFileSync(file));
  const classes = cacheDir('elasticsearch', versions.elasticsearch, `launcher-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(classes)) return classes;
  const staging = `${classes}.partial-${process.pid}`;
  try {
    // The javac beside the chosen java, so classes never target a newer JVM than the one that runs them.
    const javac = existsSync(join(dirname(java), 'javac')) ? join(dirname(java), 'javac') : 'javac';
    await run(javac, ['-nowarn', '-d', staging, '-cp', join(libDir, '*'), ...sources], { timeout: 120_000 });
    renameSync(staging, classes);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(classes)) return classes;
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error("Elasticsearch: 'javac' (a JDK 17+) is needed to build the launcher; install Debian's openjdk-17-jdk-headless");
    throw new Error(`Elasticsearch: compiling the launcher failed:\n${e.stderr ?? e.message}`);
  }
  return classes;
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, { signal: AbortSignal.timeout(3_000) });
  if (!response.ok) return false;
  const body = (await response.json()) as { status?: string };
  return response.headers.get('x-elastic-product') === 'Elasticsearch' && (body.status === 'green' || body.status === 'yellow');
}

/**
 * Starts a real single-node Elasticsearch 8.x from Maven Central jars (server + transport-netty4,
 * see elasticsearch/README.md for what that includes), or uses EVENTIDE_ELASTICSEARCH_URL.
 */
export async function startElasticsearch({
  timeoutMs = 180_000,
  heap = '1g',
}: {
  timeoutMs?: number;
  heap?: string;
} = {}): Promise<ElasticsearchServer> {
  const override = process.env.EVENTIDE_ELASTICSEARCH_URL;
  if (override) return { ...externalServer('elasticsearch', override), url: override };

  const what = `Elasticsearch ${versions.elasticsearch}`;
  const java = await findJava(what);
  const libDir = await resolveMavenLibs({
    what,
    pom: join(repoRoot, 'devkit/elasticsearch/pom.xml'),
    properties: { 'es.version': versions.elasticsearch },
    libDir: cacheDir('elasticsearch', versions.elasticsearch, 'lib'),
  });
  const classes = await compileLauncher(java, libDir);

  const home = mkdtempSync(join(tmpdir(), 'eventide-elasticsearch-'));
  mkdirSync(join(home, 'es'));
  const [httpPort, transportPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${httpPort}`;
  const args = [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-XX:+UseSerialGC',
    '-Dfile.encoding=UTF-8',
    '-Djava.locale.providers=CLDR',
    '-Dio.netty.noUnsafe=true',
    '-Dio.netty.noKeySetOptimization=true',
    '-Dio.netty.recycler.maxCapacityPerThread=0',
    '-Dlog4j2.disable.jmx=true',
    '-Dlog4j2.formatMsgNoLookups=true',
    '-Dlog4j.shutdownHookEnabled=false',
    '-cp',
    `${classes}:${join(libDir, '*')}`,
    'dev.eventide.infra.EsLauncher',
    String(httpPort),
    String(transportPort),
    join(home, 'es'),
    'eventide',
  ];
  const server = await startProcessServer({
    name: 'elasticsearch',
    endpoint: url,
    home,
    launch: () => launch({ name: what, command: java, args, logFile: join(home, 'elasticsearch.log') }),
    ready: (proc) => waitUntilReady(proc, () => healthy(url), { timeoutMs, what: `healthy at ${url}` }),
  });
  return { ...server, url };
}
