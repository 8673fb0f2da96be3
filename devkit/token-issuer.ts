/**
 * A stand-in for identity's token endpoint in tests and benchmarks that run a service without
 * identity: an Ed25519 key, its JWKS served over HTTP on a loopback port (the services fetch it as
 * they fetch identity's), and tokens signed with identity's claims for any principal. Suites that
 * run identity itself (e2e, onboarding) use its real tokens instead.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Principal, Role } from '../lib/authorization.ts';
import { claimsOf, tokenAudience, tokenIssuer } from '../lib/http/bearer.ts';

export interface TokenIssuer {
  /** What a service's IDENTITY_JWKS_URL is set to. */
  jwksUrl: string;
  /** A signed access token for the principal (15 minutes, as identity's). */
  token: (principal: Omit<Principal, 'scopes'> & { scopes?: readonly string[] }) => Promise<string>;
  /** `Authorization` header for the principal. */
  bearer: (principal: Omit<Principal, 'scopes'> & { scopes?: readonly string[] }) => Promise<{ authorization: string }>;
  stop: () => Promise<void>;
}

export async function startTokenIssuer(): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const body = JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }] });
  const server: Server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the token issuer could not read its port');
  const token: TokenIssuer['token'] = (principal) =>
    new SignJWT(claimsOf({ ...principal, scopes: principal.scopes ?? [] }))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setSubject(principal.sub)
      .setIssuer(tokenIssuer)
      .setAudience(tokenAudience)
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime('15m')
      .sign(privateKey);
  return {
    jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    token,
    bearer: async (principal) => ({ authorization: `Bearer ${await token(principal)}` }),
    stop: () => new Promise((resolveClose) => server.close(() => resolveClose())),
  };
}

/** Principals tests use often. */
export const principals = {
  platformAdmin: (): Principal => ({ sub: randomUUID(), role: 'platform-admin', tenant: 'platform', scopes: [] }),
  merchant: (merchantId: string): Principal => ({ sub: randomUUID(), role: 'merchant', merchantId, scopes: [] }),
  provider: (): Principal => ({ sub: randomUUID(), role: 'payment-provider', scopes: ['payments:complete'] }),
  organizer: (organizerId: string): Principal => ({ sub: organizerId, role: 'organizer', scopes: [] }),
  person: (role: Extract<Role, 'admin' | 'teacher'>, tenant: string): Principal => ({ sub: randomUUID(), role, tenant, scopes: [] }),
};
