/**
 * Each service's PostgreSQL role reaches its own database and no other — identity's, which holds
 * the token signing keys, least of all. Proven twice on real servers: with the chart's own init
 * script (the ConfigMap the postgres image runs on a fresh data directory) and with local mode's
 * stand-in that does the same for `make dev`, the e2e suites and `make deploy` here.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePasswordVariable } from '../../cdk8s/postgres.ts';
import { kind, production } from '../../cdk8s/profile.ts';
import { postgresStandIn } from '../../devkit/kubelet/stand-ins.ts';
import { type PostgresServer, startPostgres } from '../../devkit/postgres.ts';
import { type KubeObject, parseObjects, synthFiles } from './synth.ts';

const run = promisify(execFile);

interface Container {
  env?: { name: string; value?: string }[];
}
const chartObjects = (profile: typeof production) => [...synthFiles(profile).values()].flatMap(parseObjects);
const find = (objects: KubeObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the chart`);
  return found;
};
const postgresEnv = (objects: KubeObject[]) =>
  (find(objects, 'StatefulSet', 'postgres').spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]?.env ??
  [];
const databasesOf = (objects: KubeObject[]) => (postgresEnv(objects).find((e) => e.name === 'EVENTIDE_DATABASES')?.value ?? '').split(',');

/** Connects as `user` to `database` (the test servers trust local connections: only privileges decide). */
async function connect(server: PostgresServer, user: string, database: string): Promise<string> {
  const url = new URL(server.url);
  Object.assign(url, { username: user, password: 'any', pathname: `/${database}` });
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function expectIsolated(server: PostgresServer, databases: string[], others: string[]): Promise<void> {
  expect(databases).toEqual(expect.arrayContaining(['catalog', 'teachers', 'identity', 'payments', 'ledger']));
  for (const role of databases) {
    expect(await connect(server, role, role), `${role} → ${role}`).toBe('connected');
    for (const other of [...databases.filter((d) => d !== role), ...others])
      expect(await connect(server, role, other), `${role} → ${other}`).toMatch(
        /permission denied for database|User does not have CONNECT privilege/,
      );
  }
}

// The script revokes PUBLIC's CONNECT on every database of its server: a server of its own, never a shared one.
const shared = process.env.EVENTIDE_DATABASE_URL !== undefined;
let servers: PostgresServer[] = [];
beforeAll(async () => {
  if (!shared) servers = await Promise.all([startPostgres(), startPostgres()]);
}, 120_000);
afterAll(async () => {
  await Promise.allSettled(servers.map((s) => s.dispose()));
});

describe.skipIf(shared)("each service's role connects to its own database only", () => {
  it("with the chart's init script, as the postgres image runs it on a fresh data directory", async () => {
    const [server] = servers as [PostgresServer];
    const objects = chartObjects(production);
    const script = (find(objects, 'ConfigMap', 'postgres-init').data as Record<string, string>)['10-databases.sh'] as string;
    const databases = databasesOf(objects);
    const url = new URL(server.url);
    const superuser = new pg.Client({ connectionString: server.url });
    await superuser.connect();
    await superuser.query('CREATE DATABASE eventide'); // the image's POSTGRES_DB, made before its init scripts run
    await superuser.end();
    const env = {
      PATH: process.env.PATH,
      PGHOST: url.hostname,
      PGPORT: url.port,
      POSTGRES_USER: url.username,
      POSTGRES_DB: 'eventide',
      EVENTIDE_DATABASES: databases.join(','),
      ...Object.fromEntries(databases.map((d) => [databasePasswordVariable(d), `pw-${d}'"`])),
    };
    await run('sh', ['-c', script], { env });
    // Running it again (an existing volume, a database added later) changes nothing and fails nothing.
    await run('sh', ['-c', script], { env });
    // The script owns its server: the superuser's and the maintenance database are closed too.
    await expectIsolated(server, databases, ['eventide', 'postgres']);
  });

  it("with local mode's stand-in for the PostgreSQL pod", async () => {
    const [, server] = servers as [PostgresServer, PostgresServer];
    const databases = databasesOf(chartObjects(kind));
    const standIn = postgresStandIn(server.url, 'test');
    await standIn.prepare?.({
      POSTGRES_USER: new URL(server.url).username,
      POSTGRES_DB: 'eventide',
      EVENTIDE_DATABASES: databases.join(','),
      ...Object.fromEntries(databases.map((d) => [databasePasswordVariable(d), `pw-${d}`])),
    });
    // The stand-in may share its server (EVENTIDE_DATABASE_URL): it closes only the chart's databases.
    await expectIsolated(server, databases, ['eventide']);
  });
});
