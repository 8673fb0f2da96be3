// @needs kafka postgres
/**
 * Machine clients on a real PostgreSQL: the platform-admin makes them (the secret shown once),
 * they get tokens by the client-credentials grant (HTTP Basic or the body), secrets rotate with
 * an overlap, revoked clients get nothing, failures are limited per client, and the configured
 * payment provider exists as its Secret says. Tokens are checked against the served JWKS.
 */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Principal } from '../../lib/authorization.ts';
import { jwtVerifier } from '../../lib/http/bearer.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { bootstrapAdmin, inProcessIdentity, json, loginToken, onboardingTopics } from './testing/in-process.ts';

const brokers = inject('kafkaBrokers');
const provider = { id: 'psp-acquirer', secret: 'a-configured-provider-secret-0123' };
const overlapSeconds = 2;
let identity: Awaited<ReturnType<typeof inProcessIdentity>>;
let topics: Awaited<ReturnType<typeof onboardingTopics>>;
let db: pg.Pool;
let platformToken: string;
let verify: (token: string) => Promise<Principal>;

interface CreatedClient {
  clientId: string;
  clientSecret: string;
  role: string;
  merchantId?: string;
  organizerId?: string;
  scopes: string[];
}
const request = (path: string, init: RequestInit = {}) => identity.app.request(path, init);
const as = (method: string, token = platformToken) => ({ method, headers: { authorization: `Bearer ${token}` } });
const createClient = async (body: object, token = platformToken) => request('/api/v1/clients', json('POST', body, token));
async function newClient(body: object): Promise<CreatedClient> {
  const response = await createClient(body);
  expect(response.status).toBe(201);
  expect(response.headers.get('cache-control')).toBe('no-store');
  return (await response.json()) as CreatedClient;
}
const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
/** POST /oauth/token with a form body; Basic credentials when `auth` is given. */
const token = (form: Record<string, string>, auth?: { id: string; secret: string }) =>
  request('/oauth/token', {
    method: 'POST',
    body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: basic(auth.id, auth.secret) } : {}) },
  });
const grant = { grant_type: 'client_credentials' };
async function accessToken(id: string, secret: string): Promise<Principal> {
  const response = await token(grant, { id, secret });
  expect(response.status).toBe(200);
  return verify(((await response.json()) as { access_token: string }).access_token);
}

beforeAll(async () => {
  topics = await onboardingTopics(brokers);
  const databaseUrl = await freshDatabase(inject('databaseUrl'));
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  identity = await inProcessIdentity(brokers, databaseUrl, {
    BOOTSTRAP_PROVIDER_CLIENT_ID: provider.id,
    BOOTSTRAP_PROVIDER_CLIENT_SECRET: provider.secret,
    CLIENT_SECRET_OVERLAP_SECONDS: String(overlapSeconds),
    LOGIN_ATTEMPTS_PER_ACCOUNT: '5',
    // In-process requests all come from one address: its budget is not what these tests are about.
    LOGIN_ATTEMPTS_PER_ADDRESS: '1000',
  });
  platformToken = await loginToken(identity.app, bootstrapAdmin);
  verify = jwtVerifier(createRemoteJWKSet(new URL(`${identity.url}/.well-known/jwks.json`)));
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([identity?.stop(), topics?.stop(), db?.end()]);
});

describe('machine clients', () => {
  it('a merchant client gets, by HTTP Basic, a 15-minute token bound to its merchant; the secret is stored only as a slow hash', async () => {
    const merchantId = randomUUID();
    const client = await newClient({ name: 'Shop backend', role: 'merchant', merchantId });
    expect(client).toMatchObject({ role: 'merchant', merchantId, scopes: [] });
    const stored = await db.query('SELECT * FROM oauth_clients WHERE client_id = $1', [client.clientId]);
    expect(JSON.stringify(stored.rows)).not.toContain(client.clientSecret);
    expect(stored.rows[0].secret_hash).toMatch(/^scrypt\$/);

    const response = await token(grant, { id: client.clientId, secret: client.clientSecret });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number; scope?: string };
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(body.scope).toBeUndefined();
    expect(await verify(body.access_token)).toEqual({ sub: client.clientId, role: 'merchant', merchantId, scopes: [] });

    const shown = (await (await request(`/api/v1/clients/${client.clientId}`, as('GET'))).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ clientId: client.clientId, role: 'merchant', merchantId });
    expect(JSON.stringify(shown)).not.toContain(client.clientSecret);
    expect(shown).not.toHaveProperty('clientSecret');
  });

  it('an organizer client authenticates in the body; its token names its organizer', async () => {
    const organizerId = randomUUID();
    const client = await newClient({ name: 'Harbour concerts', role: 'organizer', organizerId });
    const response = await token({ ...grant, client_id: client.clientId, client_secret: client.clientSecret });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    expect(await verify(access_token)).toEqual({ sub: organizerId, role: 'organizer', scopes: [] });
  });

  it('a payment provider gets payments:complete; a scope the client lacks is invalid_scope', async () => {
    const client = await newClient({ name: 'PSP', role: 'payment-provider' });
    expect(client.scopes).toEqual(['payments:complete']);
    const response = await token({ ...grant, scope: 'payments:complete' }, { id: client.clientId, secret: client.clientSecret });
    expect(((await response.json()) as { scope: string }).scope).toBe('payments:complete');
    const merchant = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    const refused = await token({ ...grant, scope: 'payments:complete' }, { id: merchant.clientId, secret: merchant.clientSecret });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_scope', status: 400, title: 'Invalid scope' });
  });

  it('wrong or unknown credentials: 401 invalid_client with a Basic challenge, alike', async () => {
    const client = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    const wrong = await token(grant, { id: client.clientId, secret: 'not-the-secret' });
    const unknown = await token(grant, { id: 'no-such-client', secret: 'not-the-secret' });
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    }
    const strip = (b: unknown) => ({ ...(b as object), instance: undefined });
    expect(strip(await wrong.json())).toEqual(strip(await unknown.json()));
    expect((await token({ grant_type: 'password' }, { id: client.clientId, secret: client.clientSecret })).status).toBe(400);
  });

  it('failed authentications are limited per client: 429 with Retry-After, the right secret too', async () => {
    const client = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    // A success clears the count: only failures add up.
    for (let i = 0; i < 4; i++) expect((await token(grant, { id: client.clientId, secret: 'wrong' })).status).toBe(401);
    await accessToken(client.clientId, client.clientSecret);
    for (let i = 0; i < 5; i++) expect((await token(grant, { id: client.clientId, secret: 'wrong' })).status).toBe(401);
    const limited = await token(grant, { id: client.clientId, secret: client.clientSecret });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'temporarily_unavailable', status: 429 });
  });

  it('a rotated secret: the new one works at once, the old one only for the overlap', async () => {
    const client = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    const rotated = await request(`/api/v1/clients/${client.clientId}/secret`, as('POST'));
    expect(rotated.status).toBe(200);
    const { clientSecret: newSecret } = (await rotated.json()) as CreatedClient;
    expect(newSecret).not.toBe(client.clientSecret);
    await accessToken(client.clientId, newSecret);
    await accessToken(client.clientId, client.clientSecret);
    await new Promise((r) => setTimeout(r, overlapSeconds * 1000 + 200));
    expect((await token(grant, { id: client.clientId, secret: client.clientSecret })).status).toBe(401);
    await accessToken(client.clientId, newSecret);
  });

  it('a revoked client gets no token and no new secret', async () => {
    const client = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    expect((await request(`/api/v1/clients/${client.clientId}`, as('DELETE'))).status).toBe(204);
    expect((await token(grant, { id: client.clientId, secret: client.clientSecret })).status).toBe(401);
    expect(
      ((await (await request(`/api/v1/clients/${client.clientId}`, as('GET'))).json()) as { revokedAt?: string }).revokedAt,
    ).toBeTruthy();
    expect((await request(`/api/v1/clients/${client.clientId}/secret`, as('POST'))).status).toBe(409);
    expect((await request(`/api/v1/clients/${randomUUID()}`, as('DELETE'))).status).toBe(404);
  });

  it('only a platform-admin manages clients; a merchant needs its merchant id, an organizer its organizer id', async () => {
    const merchant = await newClient({ name: 'Shop', role: 'merchant', merchantId: randomUUID() });
    const { access_token } = (await (await token(grant, { id: merchant.clientId, secret: merchant.clientSecret })).json()) as {
      access_token: string;
    };
    expect((await createClient({ name: 'x', role: 'payment-provider' }, access_token)).status).toBe(403);
    expect((await request('/api/v1/clients', json('POST', { name: 'x', role: 'payment-provider' }))).status).toBe(401);
    expect((await createClient({ name: 'x', role: 'merchant' })).status).toBe(400);
    expect((await createClient({ name: 'x', role: 'organizer' })).status).toBe(400);
    expect((await createClient({ name: 'x', role: 'teacher' })).status).toBe(400);
    expect((await request('/api/v1/clients/has%20space', as('GET'))).status).toBe(404);
  });

  it('the configured payment provider exists with the configured secret and the payments:complete scope', async () => {
    const principal = await accessToken(provider.id, provider.secret);
    expect(principal).toEqual({ sub: provider.id, role: 'payment-provider', scopes: ['payments:complete'] });
  });
});
