// @needs kafka postgres
/**
 * Administrators on real Kafka and PostgreSQL: the platform-admin makes a tenant's admin, whose
 * token reaches its own tenant's users only; activation tokens sent again (by an administrator,
 * or by anyone for an address, answered alike); and the bootstrap administrator following its
 * Secret when the e-mail changes.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { resendAnswer } from './api.ts';
import {
  type Activation,
  bootstrapAdmin,
  eventually,
  inProcessIdentity,
  json,
  loginToken,
  onboardingTopics,
} from './testing/in-process.ts';

const brokers = inject('kafkaBrokers');
let databaseUrl: string;
let identity: Awaited<ReturnType<typeof inProcessIdentity>>;
let topics: Awaited<ReturnType<typeof onboardingTopics>>;
let platformToken: string;

const request = (path: string, init: RequestInit = {}) => identity.app.request(path, init);
const as = (token: string, method = 'GET') => ({ method, headers: { authorization: `Bearer ${token}` } });
const activate = (token: string, password: string) => request('/api/v1/auth/activate', json('POST', { token, password }));
const resend = (tenantId: string, email: string) => request('/api/v1/auth/activation/resend', json('POST', { tenantId, email }));
/** The activation requests identity has published for a user, oldest first. */
const activationsOf = (userId: string) => topics.activations.filter((a) => a.userId === userId);
const nth = (userId: string, n: number) => eventually(() => activationsOf(userId)[n - 1], `activation request ${n} of ${userId}`);

/** A new admin of `tenantId` waiting for activation, and the token identity sent. */
async function newAdmin(tenantId = 'school-a'): Promise<{ id: string; email: string; token: string }> {
  const email = `admin-${randomUUID().slice(0, 8)}@school.example`;
  const response = await request('/api/v1/admins', json('POST', { tenantId, email }, platformToken));
  expect(response.status).toBe(201);
  const admin = (await response.json()) as { id: string; role: string; status: string; tenantId: string };
  expect(admin).toMatchObject({ role: 'admin', status: 'PendingActivation', tenantId });
  return { id: admin.id, email, token: ((await nth(admin.id, 1)) as Activation).token };
}
/** An active admin of `tenantId` and its access token. */
async function activeAdmin(tenantId = 'school-a') {
  const admin = await newAdmin(tenantId);
  expect((await activate(admin.token, 'a long enough pass')).status).toBe(204);
  return { ...admin, accessToken: await loginToken(identity.app, { tenantId, email: admin.email, password: 'a long enough pass' }) };
}

beforeAll(async () => {
  topics = await onboardingTopics(brokers);
  databaseUrl = await freshDatabase(inject('databaseUrl'));
  identity = await inProcessIdentity(brokers, databaseUrl, {
    ACTIVATION_RESENDS_PER_ACCOUNT: '2',
    // In-process requests all come from one address: its budget is not what these tests are about.
    LOGIN_ATTEMPTS_PER_ADDRESS: '1000',
  });
  platformToken = await loginToken(identity.app, bootstrapAdmin);
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([identity?.stop(), topics?.stop()]);
});

describe('administrators', () => {
  it('the bootstrap administrator is platform-admin of the platform tenant', () => {
    expect(decodeJwt(platformToken)).toMatchObject({ role: 'platform-admin', tenant: 'platform' });
  });

  it("the platform-admin makes a tenant's admin, who activates, logs in as admin and sees its own tenant only", async () => {
    const admin = await activeAdmin('school-a');
    expect(decodeJwt(admin.accessToken)).toMatchObject({ sub: admin.id, role: 'admin', tenant: 'school-a' });
    const lookup = (tenantId: string, email: string, token: string) =>
      request(`/api/v1/users?tenantId=${tenantId}&email=${encodeURIComponent(email)}`, as(token));
    const own = await lookup('school-a', admin.email, admin.accessToken);
    expect(own.status).toBe(200);
    expect(((await own.json()) as { items: unknown[] }).items).toMatchObject([{ id: admin.id, role: 'admin', status: 'Active' }]);
    // Another tenant's users are not there for it, as if they did not exist.
    const other = await activeAdmin('school-b');
    expect((await lookup('school-b', other.email, admin.accessToken)).status).toBe(404);
    expect((await lookup('school-b', other.email, platformToken)).status).toBe(200);
    // Only the platform-admin makes administrators.
    expect(
      (await request('/api/v1/admins', json('POST', { tenantId: 'school-a', email: 'x@school.example' }, admin.accessToken))).status,
    ).toBe(403);
    expect((await request('/api/v1/admins', json('POST', { tenantId: 'school-a', email: 'x@school.example' }))).status).toBe(401);
  });

  it('one administrator per address and tenant (409); an unknown tenant is 422', async () => {
    const admin = await newAdmin('school-a');
    const again = await request('/api/v1/admins', json('POST', { tenantId: 'school-a', email: admin.email.toUpperCase() }, platformToken));
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect((await request('/api/v1/admins', json('POST', { tenantId: 'school-z', email: 'y@school.example' }, platformToken))).status).toBe(
      422,
    );
    expect((await request('/api/v1/admins', json('POST', { tenantId: 'school-a', email: 'not-an-address' }, platformToken))).status).toBe(
      400,
    );
  });

  it("an administrator sends a waiting user a new token; the old one stops working; another tenant's user is 404, an active one 409", async () => {
    const schoolA = await activeAdmin('school-a');
    const waiting = await newAdmin('school-a');
    const reissue = (id: string, token: string) => request(`/api/v1/users/${id}/activation`, as(token, 'POST'));
    expect((await reissue(waiting.id, schoolA.accessToken)).status).toBe(202);
    const second = await nth(waiting.id, 2);
    expect(second.token).not.toBe(waiting.token);
    expect((await activate(waiting.token, 'a long enough pass')).status).toBe(400);

    const schoolB = await activeAdmin('school-b');
    expect((await reissue(waiting.id, schoolB.accessToken)).status).toBe(404);
    expect((await reissue(randomUUID(), platformToken)).status).toBe(404);
    expect((await reissue('not-a-uuid', platformToken)).status).toBe(404);
    expect((await reissue(schoolB.id, platformToken)).status).toBe(409);
    expect(activationsOf(waiting.id)).toHaveLength(2);

    expect((await activate(second.token, 'a long enough pass')).status).toBe(204);
  });

  it('anyone may ask for a new token for an address: the same 202 whether or not it exists, limited per address', async () => {
    const waiting = await newAdmin('school-b');
    const unknown = await resend('school-b', `nobody-${randomUUID().slice(0, 6)}@school.example`);
    const known = await resend('school-b', waiting.email.toUpperCase());
    expect(unknown.status).toBe(202);
    expect(known.status).toBe(202);
    expect(await unknown.json()).toEqual(resendAnswer);
    expect(await known.json()).toEqual(resendAnswer);
    const second = await nth(waiting.id, 2);
    expect((await activate(waiting.token, 'a long enough pass')).status).toBe(400);

    // ACTIVATION_RESENDS_PER_ACCOUNT is 2 here.
    expect((await resend('school-b', waiting.email)).status).toBe(202);
    const limited = await resend('school-b', waiting.email);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    await nth(waiting.id, 3);
    expect(activationsOf(waiting.id)).toHaveLength(3);
    expect((await activate(second.token, 'a long enough pass')).status).toBe(400);
    expect((await activate((activationsOf(waiting.id)[2] as Activation).token, 'a long enough pass')).status).toBe(204);
  });

  it('a new bootstrap e-mail in the Secret disables the previous bootstrap administrator at the next start', async () => {
    await identity.stop();
    const rotated = { ...bootstrapAdmin, email: 'root-2@eventide.example' };
    identity = await inProcessIdentity(brokers, databaseUrl, { BOOTSTRAP_ADMIN_EMAIL: rotated.email });
    const newToken = await loginToken(identity.app, rotated);
    expect(decodeJwt(newToken)).toMatchObject({ role: 'platform-admin' });
    expect((await request('/api/v1/auth/login', json('POST', bootstrapAdmin))).status).toBe(401);
    const [previous] = (
      (await (await request(`/api/v1/users?tenantId=platform&email=${encodeURIComponent(bootstrapAdmin.email)}`, as(newToken))).json()) as {
        items: { status: string }[];
      }
    ).items;
    expect(previous?.status).toBe('Disabled');
  }, 120_000);
});
