// @needs postgres
import { type ServerType, serve } from '@hono/node-server';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teachersApi } from './api.ts';
import { migrate } from './migrations.ts';
import { exampleTeacher } from './openapi.ts';
import { TeacherStore } from './store.ts';

let pool: pg.Pool;
let server: ServerType;
let baseUrl: string;
let issuer: TokenIssuer;
let platformAdmin: Record<string, string>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  platformAdmin = await issuer.bearer(principals.platformAdmin());
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 10 });
  await migrate(pool);
  // The API as service.ts builds it, without the relay: these teachers must not reach the shared teachers.events.
  const app = teachersApi({
    store: new TeacherStore(pool),
    verify: remoteJwtVerifier(issuer.jwksUrl),
    tenants: new Set([exampleTeacher.tenantId, 'school-b']),
    registry: new Registry(),
    health: new Health().ready('database', async () => (await pool.query('SELECT 1')).rowCount === 1),
    log: pino({ level: 'silent' }),
  });
  await new Promise<void>((listening) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      baseUrl = `http://127.0.0.1:${info.port}`;
      listening();
    });
  });
});
afterAll(async () => {
  await new Promise((closed) => server?.close(closed));
  await pool?.end();
  await issuer?.stop();
});

describe('teachers HTTP API against its own OpenAPI document, on a real PostgreSQL', () => {
  it('answers every request generated from the document as the document says', async () => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as object;
    const report = await checkContract(document, baseUrl, { credentials: () => platformAdmin });
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(50);
  });
});
