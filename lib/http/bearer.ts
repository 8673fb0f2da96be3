import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { HttpProblem, withHeaders } from './problem.ts';

/** Who a verified bearer token says the caller is. */
export interface Principal {
  /** The user id. */
  sub: string;
  tenant: string;
  role: string;
}

/** What identity's tokens are issued as and for; every verifier checks both. */
export const tokenIssuer = 'eventide-identity';
export const tokenAudience = 'eventide';

export type TokenVerifier = (token: string) => Promise<Principal>;

/** Refused tokens, whatever the reason, get one answer: the reason stays in the verifier. */
const unauthorized = () =>
  withHeaders(new HttpProblem(401, 'Unauthorized', 'a valid bearer token is required'), { 'WWW-Authenticate': 'Bearer' });

/** Verifies identity's JWTs (EdDSA, by `kid`) against a key set: identity's JWKS URL in a service, a local set in tests. */
export function jwtVerifier(keys: JWTVerifyGetKey): TokenVerifier {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, { issuer: tokenIssuer, audience: tokenAudience, algorithms: ['EdDSA'] });
      const { sub, tenant, role } = payload as { sub?: unknown; tenant?: unknown; role?: unknown };
      if (typeof sub !== 'string' || typeof tenant !== 'string' || typeof role !== 'string') throw unauthorized();
      return { sub, tenant, role };
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      // The key set could not be fetched: identity is down, which says nothing about the token.
      if (error instanceof errors.JWKSTimeout || (error instanceof TypeError && /fetch/i.test(error.message)))
        throw withHeaders(new HttpProblem(503, 'Service unavailable', 'the token signing keys cannot be fetched; retry shortly'), {
          'Retry-After': '2',
        });
      if (error instanceof errors.JOSEError) throw unauthorized();
      throw error;
    }
  };
}

/** The verifier of a service that trusts identity: keys fetched from its JWKS and cached (jose refetches on an unknown kid). */
export const remoteJwtVerifier = (jwksUrl: string): TokenVerifier =>
  jwtVerifier(createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 3_000, cooldownDuration: 10_000 }));

/** The bearer token of a request, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/** Admits requests with a valid bearer token of `role` (401 without one, 403 with another role); the principal in c.get('principal'). */
export function requireRole(verify: TokenVerifier, role: string): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw unauthorized();
    const principal = await verify(token);
    if (principal.role !== role) throw new HttpProblem(403, 'Forbidden', `this endpoint needs the ${role} role`);
    c.set('principal', principal);
    await next();
  };
}
