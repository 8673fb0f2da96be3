// @needs postgres
/**
 * Input PostgreSQL cannot keep, and cursors this API never wrote, are refused with a 400, never a
 * 500: the teachers API as service.ts builds it, on a real PostgreSQL, with tokens from a stand-in issuer.
 */
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teachersApi } from './api.ts';
import { migrate } from './migrations.ts';
import { TeacherStore } from './store.ts';

let pool: pg.Pool;
let issuer: TokenIssuer;
let app: ReturnType<typeof teachersApi>;
let admin: Record<string, string>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  admin = await issuer.bearer(principals.person('admin', 'school-a'));
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 4 });
  await migrate(pool);
  app = teachersApi({
    store: new TeacherStore(pool),
    verify: remoteJwtVerifier(issuer.jwksUrl),
    tenants: new Set(['school-a']),
    registry: new Registry(),
    health: new Health(),
    log: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await pool?.end();
  await issuer?.stop();
});

const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  app.request(`/api/v1${path}`, { method, headers: { ...admin, 'content-type': 'application/json', ...headers }, body });
let sequence = 0;
const teacher = (fullName: string) =>
  `{"tenantId":"school-a","fullName":"${fullName}","email":"grace.${++sequence}@school.example","phoneNumber":"+4915120000${String(sequence).padStart(2, '0')}"}`;

describe('teachers refuses text PostgreSQL cannot keep and cursors it never wrote', () => {
  it('a fullName with NUL or an unpaired surrogate is a 400 naming the field, to create and to change; nothing is stored', async () => {
    for (const fullName of ['Grace\\u0000Hopper', 'Grace Hopper\\ud83d', '\\udfff']) {
      const response = await call('POST', '/teachers', teacher(fullName));
      const text = await response.text();
      expect(response.status, `${fullName}: ${text}`).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ status: 400, errors: [{ path: 'fullName' }] });
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM teachers')).rows[0].n).toBe(0);
    const created = await call('POST', '/teachers', teacher('Grace Hopper'));
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const patched = await call('PATCH', `/teachers/${id}`, '{"fullName":"Grace\\u0000B. Hopper"}', { 'if-match': '"1"' });
    expect(patched.status, await patched.clone().text()).toBe(400);
    expect(((await (await call('GET', `/teachers/${id}`)).json()) as { fullName: string }).fullName).toBe('Grace Hopper');
  });

  it('a cursor that decodes to 36 dashes, or is anything else this API did not return, is a 400; one it returned pages on', async () => {
    const dashes = Buffer.from('-'.repeat(36)).toString('base64url');
    const upper = Buffer.from('ABCDEF01-2345-4789-8BCD-EF0123456789').toString('base64url');
    for (const cursor of [dashes, upper, 'zzz', '%00', Buffer.from('\u0000'.repeat(36)).toString('base64url')]) {
      const response = await call('GET', `/teachers?tenantId=school-a&cursor=${cursor}`);
      const text = await response.text();
      expect(response.status, `${cursor}: ${text}`).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ status: 400, detail: 'cursor is not one this API returned' });
    }
    for (const name of ['Ada Lovelace', 'Edsger Dijkstra']) expect((await call('POST', '/teachers', teacher(name))).status).toBe(201);
    const first = (await (await call('GET', '/teachers?tenantId=school-a&limit=1')).json()) as { nextCursor: string };
    const next = await call('GET', `/teachers?tenantId=school-a&limit=1&cursor=${first.nextCursor}`);
    expect(next.status).toBe(200);
  });
});
