import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Health } from '../../../lib/health.ts';
import type { TokenVerifier } from '../../../lib/http/bearer.ts';
import { catalogApi } from '../api.ts';
import { migrate } from '../migrations.ts';
import { exampleEvent } from '../openapi.ts';
import { EventStore } from '../store.ts';

/** A fresh database on the test server, so suites never see each other's rows. */
export async function freshDatabase(serverUrl: string): Promise<string> {
  const name = `catalog_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The catalog's API in this process; `verify` is a token issuer's (devkit/token-issuer.ts), whose organizer tokens write. */
export async function inProcessCatalog(databaseUrl: string, verify: TokenVerifier) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  await migrate(pool);
  const app = catalogApi({
    store: new EventStore(pool),
    verify,
    registry: new Registry(),
    log: pino({ level: 'silent' }),
    maxBodyBytes: 16 * 1024,
    health: new Health().ready('database', async () => (await pool.query('SELECT 1')).rowCount === 1),
  });
  return { app, pool };
}

export const sampleEvent = (overrides: Record<string, unknown> = {}) => ({ ...exampleEvent, ...overrides });

/** An event as the catalog publishes it (what its contracts accept), at `version`. */
export const publishedEvent = (id: string, version: number, overrides: Record<string, unknown> = {}) => ({
  ...sampleEvent(),
  startsAt: '2027-03-01T19:00:00.000Z',
  endsAt: '2027-03-01T22:00:00.000Z',
  id,
  version,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  ...overrides,
});
