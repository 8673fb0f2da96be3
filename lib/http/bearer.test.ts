import { Hono } from 'hono';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { authenticate, bearerToken, jwtVerifier, principalOf, tokenAudience, tokenIssuer } from './bearer.ts';
import { problemErrors } from './problem-errors.ts';

let sign: (claims: Record<string, unknown>, options?: { issuer?: string; expiresIn?: string; kid?: string }) => Promise<string>;
let app: Hono;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] });
  sign = (claims, { issuer = tokenIssuer, expiresIn = '15m', kid = 'k1' } = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject('user-1')
      .setIssuer(issuer)
      .setAudience(tokenAudience)
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(kid === 'k1' ? privateKey : other.privateKey);
  app = new Hono();
  problemErrors(app, { log: pino({ level: 'silent' }) });
  app.get('/admin', authenticate(jwtVerifier(jwks), ['admin', 'platform-admin']), (c) => c.json(c.get('principal')));
});

const call = (token?: string) => app.request('/admin', token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('authenticate', () => {
  it('admits a valid token of the role and hands on who it is', async () => {
    const response = await call(await sign({ tenant: 'platform', role: 'admin' }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'user-1', tenant: 'platform', role: 'admin', scopes: [] });
  });

  it('403 for another role', async () => {
    const response = await call(await sign({ tenant: 'school-a', role: 'teacher' }));
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it.each([
    ['no token', async () => undefined],
    ['an expired token', () => sign({ tenant: 'platform', role: 'admin' }, { expiresIn: '-1m' })],
    ['another issuer', () => sign({ tenant: 'platform', role: 'admin' }, { issuer: 'someone-else' })],
    ['a key the set does not hold', () => sign({ tenant: 'platform', role: 'admin' }, { kid: 'k2' })],
    ['no tenant claim on a person', () => sign({ role: 'admin' })],
    ['a merchant token bound to no merchant', () => sign({ role: 'merchant' })],
    ['a role the platform does not have', () => sign({ tenant: 'platform', role: 'root' })],
    ['garbage', async () => 'not.a.jwt'],
  ])('401 with WWW-Authenticate for %s', async (_what, token) => {
    const response = await call(await token());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await response.json()) as { detail: string }).detail).toBe('a valid bearer token is required');
  });
});

describe('jwtVerifier when the key set cannot be fetched', () => {
  it('answers 503 with Retry-After, not 401: identity being down says nothing about the token', async () => {
    const down = new Hono();
    problemErrors(down, { log: pino({ level: 'silent' }) });
    const unreachable = async () => Promise.reject(new TypeError('fetch failed'));
    down.get('/admin', authenticate(jwtVerifier(unreachable)), (c) => c.text('no'));
    const response = await down.request('/admin', {
      headers: { authorization: `Bearer ${await sign({ tenant: 'platform', role: 'admin' })}` },
    });
    expect([response.status, response.headers.get('retry-after')]).toEqual([503, '2']);
  });
});

describe('bearerToken', () => {
  it('reads "Bearer <token>" and nothing else', () => {
    expect(bearerToken('Bearer abc.def-_')).toBe('abc.def-_');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('principalOf', () => {
  it('reads role, tenant, merchant and space-separated scopes', () => {
    expect(principalOf({ sub: 'c1', role: 'merchant', merchant_id: 'm1', scope: 'a b' })).toEqual({
      sub: 'c1',
      role: 'merchant',
      merchantId: 'm1',
      scopes: ['a', 'b'],
    });
    expect(principalOf({ sub: 'p1', role: 'payment-provider', scope: 'payments:complete' })?.scopes).toEqual(['payments:complete']);
  });

  it('makes no principal of claims of the wrong type', () => {
    expect(principalOf({ sub: 'c1', role: 'merchant', merchant_id: 7 })).toBeUndefined();
    expect(principalOf({ sub: 'c1', role: 'organizer', scope: ['x'] })).toBeUndefined();
    expect(principalOf({ role: 'organizer' })).toBeUndefined();
  });
});
