import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { versions } from '../shared/versions.ts';
import { freePort } from './ports.ts';
import { launch, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer, startProcessServer } from './server.ts';

const run = promisify(execFile);

export interface PostgresServer extends LocalServer {
  /** postgres://user@127.0.0.1:port/db */
  readonly url: string;
}

/** Debian installs the server binaries off PATH, under /usr/lib/postgresql/<major>/bin. */
export function findPostgresBin(major = versions.postgres): string {
  const candidates = [`/usr/lib/postgresql/${major}/bin`];
  if (existsSync('/usr/lib/postgresql')) {
    for (const dir of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${dir}/bin`);
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (!found) {
    throw new Error(`PostgreSQL: no initdb/postgres under /usr/lib/postgresql; install Debian's postgresql (${major})`);
  }
  return found;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts PostgreSQL from Debian's packages: initdb in a temp dir, the server on a free loopback port,
 * as the unprivileged `postgres` user when we are root. EVENTIDE_DATABASE_URL uses an existing server.
 */
/**
 * `durable`: production durability (fsync and synchronous_commit on), for benchmarks, where a
 * commit's flush is part of what a design costs; tests keep the fast default (fsync off).
 */
export async function startPostgres({
  timeoutMs = 60_000,
  durable = false,
}: {
  timeoutMs?: number;
  durable?: boolean;
} = {}): Promise<PostgresServer> {
  const override = process.env.EVENTIDE_DATABASE_URL;
  if (override) return { ...externalServer('postgres', override), url: override };

  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? 'postgres' : undefined;
  const home = mkdtempSync(join(tmpdir(), 'eventide-postgres-'));
  const dataDir = join(home, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error('PostgreSQL: running as root needs the unprivileged user "postgres" (created by Debian\'s postgresql package)');
    });
    const uid = Number(stdout.trim());
    chownSync(home, uid, uid);
  }
  const user = 'eventide';
  const initArgs = ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'];
  const init = launch({
    name: 'initdb',
    command: join(bin, 'initdb'),
    args: initArgs,
    logFile: join(home, 'initdb.log'),
    runAs,
  });
  const code = await init.exited;
  if (code !== 0) {
    rmSync(home, { recursive: true, force: true });
    throw new Error(`PostgreSQL: initdb failed (${code}); run it by hand to see why: ${join(bin, 'initdb')} ${initArgs.join(' ')}`);
  }

  const port = await freePort();
  const url = `postgres://${user}@127.0.0.1:${port}/postgres`;
  const serverArgs = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    home,
    '-c',
    'listen_addresses=127.0.0.1',
    // A test server: crash safety against power loss is not what we test; process crashes stay safe.
    '-c',
    durable ? 'fsync=on' : 'fsync=off',
    '-c',
    'synchronous_commit=on',
    '-c',
    'max_connections=200',
  ];
  const server = await startProcessServer({
    name: 'postgres',
    endpoint: url,
    home,
    launch: () =>
      launch({
        name: `PostgreSQL ${versions.postgres}`,
        command: join(bin, 'postgres'),
        args: serverArgs,
        logFile: join(home, 'postgres.log'),
        runAs,
        // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to disconnect.
        stopSignal: 'SIGINT',
      }),
    ready: (proc) => waitUntilReady(proc, () => answers(url), { timeoutMs, what: `accepting connections on ${port}` }),
  });
  return { ...server, url };
}

/** Hands `record` the text of every statement a connection of `pool` sends, in order: for tests that count round trips. */
export function recordStatements(
  pool: { on(event: 'connect', listener: (client: { query: unknown }) => void): unknown },
  record: (text: string) => void,
): void {
  pool.on('connect', (client) => {
    const query = (client.query as (...args: unknown[]) => unknown).bind(client);
    client.query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      record(typeof first === 'string' ? first : first.text);
      return query(...args);
    };
  });
}
