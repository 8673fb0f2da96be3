import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

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

/** Fails with a clear message unless a Java 17+ runtime is on PATH. */
export async function requireJava(what: string): Promise<void> {
  let output: string;
  try {
    const { stderr, stdout } = await run('java', ['-version']);
    output = `${stderr}${stdout}`;
  } catch {
    throw new Error(`${what}: a Java 17+ runtime ('java') is needed on PATH; install Debian's openjdk-17-jre-headless`);
  }
  const match = /version "(\d+)/.exec(output);
  const major = match ? Number(match[1]) : 0;
  if (major < 17) throw new Error(`${what}: Java 17+ is needed, found: ${output.split('\n')[0]}`);
}
