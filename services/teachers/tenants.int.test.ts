// @needs kafka postgres
/**
 * Who manages which teachers, on a real PostgreSQL: a school's administrator its own school only
 * (another school is an unknown tenant, its teachers unknown ids), a platform administrator every
 * school, nobody else anything. Tokens from a stand-in issuer (identity's own are in its suites).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../devkit/ports.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teachersConfig } from './config.ts';
import { startTeachers } from './service.ts';

let teachers: Awaited<ReturnType<typeof startTeachers>>;
let issuer: TokenIssuer;
const as: Record<'schoolA' | 'schoolB' | 'platform' | 'teacherA' | 'merchant', Record<string, string>> = {} as never;

const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  teachers.app.request(`/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
let sequence = 0;
const teacher = (tenantId: string) => ({
  tenantId,
  fullName: 'Grace Hopper',
  email: `grace.${++sequence}.${randomUUID().slice(0, 6)}@school.example`,
  phoneNumber: `+49151${String(2_000_000 + sequence).padStart(7, '0')}`,
});
async function created(tenantId: string, headers: Record<string, string>) {
  const response = await call('POST', '/teachers', headers, teacher(tenantId));
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; version: number };
}

beforeAll(async () => {
  issuer = await startTokenIssuer();
  as.schoolA = await issuer.bearer(principals.person('admin', 'school-a'));
  as.schoolB = await issuer.bearer(principals.person('admin', 'school-b'));
  as.platform = await issuer.bearer(principals.platformAdmin());
  as.teacherA = await issuer.bearer(principals.person('teacher', 'school-a'));
  as.merchant = await issuer.bearer(principals.merchant(randomUUID()));
  teachers = await startTeachers({
    config: loadConfig('teachers', teachersConfig, {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      DATABASE_URL: await freshDatabase(inject('databaseUrl')),
      PORT: String(await freePort()),
      TENANTS: 'school-a,school-b',
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: createLogger('teachers', 'warn'),
    exit: (code, reason) => {
      throw new Error(`teachers asked to exit ${code}: ${reason}`);
    },
  });
  const deadline = Date.now() + 60_000;
  while ((await teachers.app.request('/readyz')).status !== 200) {
    if (Date.now() > deadline) throw new Error('teachers did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await teachers?.stop();
  await issuer?.stop();
});

describe('teachers by tenant', () => {
  it("a school's administrator manages its own school's teachers", async () => {
    const mine = await created('school-a', as.schoolA);
    expect((await call('GET', `/teachers/${mine.id}`, as.schoolA)).status).toBe(200);
    const listed = await call('GET', '/teachers?tenantId=school-a', as.schoolA);
    expect(((await listed.json()) as { items: { id: string }[] }).items.map((t) => t.id)).toContain(mine.id);
    const patched = await call('PATCH', `/teachers/${mine.id}`, { ...as.schoolA, 'if-match': '"1"' }, { fullName: 'Grace B. Hopper' });
    expect(patched.status).toBe(200);
  });

  it("another school's teachers are unknown to it: 404 to read, change or delete, 422 for the school itself; nothing changes", async () => {
    const theirs = await created('school-b', as.schoolB);
    for (const [method, headers, body] of [
      ['GET', {}, undefined],
      ['PATCH', { 'if-match': '"1"' }, { fullName: 'Taken over' }],
      ['DELETE', { 'if-match': '"1"' }, undefined],
    ] as const) {
      const response = await call(method, `/teachers/${theirs.id}`, { ...as.schoolA, ...headers }, body);
      expect(response.status, method).toBe(404);
      expect(await response.text()).not.toContain('school-b');
    }
    expect((await call('POST', '/teachers', as.schoolA, teacher('school-b'))).status).toBe(422);
    expect((await call('GET', '/teachers?tenantId=school-b', as.schoolA)).status).toBe(422);
    const unchanged = (await (await call('GET', `/teachers/${theirs.id}`, as.schoolB)).json()) as { version: number; fullName: string };
    expect(unchanged).toMatchObject({ version: 1, fullName: 'Grace Hopper' });
  });

  it('a platform administrator manages every school', async () => {
    const inA = await created('school-a', as.platform);
    const inB = await created('school-b', as.platform);
    expect((await call('GET', `/teachers/${inA.id}`, as.platform)).status).toBe(200);
    expect((await call('DELETE', `/teachers/${inB.id}`, { ...as.platform, 'if-match': '"1"' })).status).toBe(204);
  });

  it('401 without a token; 403 for a teacher or a merchant', async () => {
    const mine = await created('school-a', as.schoolA);
    for (const [headers, status] of [
      [{}, 401],
      [as.teacherA, 403],
      [as.merchant, 403],
    ] as const) {
      expect((await call('GET', `/teachers/${mine.id}`, headers)).status).toBe(status);
      expect((await call('POST', '/teachers', headers, teacher('school-a'))).status).toBe(status);
    }
  });
});
