import type { Context, MiddlewareHandler } from 'hono';
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { isRole, type Principal, type Role } from '../authorization.ts';
import { cachedRemoteJwks, KeysUnavailable } from './jwks-cache.ts';
import { HttpProblem, withHeaders } from './problem.ts';

export type { Principal } from '../authorization.ts';

/**
 * What identity's tokens are issued as and for; every verifier checks both. One audience for the
 * whole platform, narrowed by role, tenant, merchant and scope claims: every service answers the
 * same callers, and a per-service audience would only make each caller fetch one token per hop.
 */
export const tokenIssuer = 'eventide-identity';
export const tokenAudience = 'eventide';

export type TokenVerifier = (token: string) => Promise<Principal>;
export type Authenticated = { Variables: { principal: Principal } };

/** Refused tokens, whatever the reason, get one answer: the reason stays in the verifier. */
const unauthorized = () =>
  withHeaders(new HttpProblem(401, 'Unauthorized', 'a valid bearer token is required'), { 'WWW-Authenticate': 'Bearer' });

/** The claims identity signs for a principal (besides iss, aud, sub, iat, exp): `scope` space-separated as RFC 9068 has it. */
export function claimsOf(p: Principal): Record<string, string> {
  return {
    role: p.role,
    ...(p.tenant ? { tenant: p.tenant } : {}),
    ...(p.merchantId ? { merchant_id: p.merchantId } : {}),
    ...(p.scopes.length > 0 ? { scope: p.scopes.join(' ') } : {}),
  };
}

/** The principal a verified payload names, or undefined when its claims do not make one. */
export function principalOf(payload: JWTPayload): Principal | undefined {
  const { sub, role, tenant, merchant_id: merchantId, scope } = payload as Record<string, unknown>;
  if (typeof sub !== 'string' || !isRole(role)) return undefined;
  if (tenant !== undefined && typeof tenant !== 'string') return undefined;
  if (merchantId !== undefined && typeof merchantId !== 'string') return undefined;
  if (scope !== undefined && typeof scope !== 'string') return undefined;
  // People carry their tenant; a merchant's token is void without the merchant it is bound to.
  if (['platform-admin', 'admin', 'teacher'].includes(role) && !tenant) return undefined;
  if (role === 'merchant' && !merchantId) return undefined;
  return {
    sub,
    role,
    ...(tenant ? { tenant } : {}),
    ...(merchantId ? { merchantId } : {}),
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
  };
}

/** Verifies identity's JWTs (EdDSA, by `kid`) against a key set: identity's JWKS URL in a service, a local set in tests. */
export function jwtVerifier(keys: JWTVerifyGetKey): TokenVerifier {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: tokenIssuer,
        audience: tokenAudience,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'sub'],
      });
      const principal = principalOf(payload);
      if (!principal) throw unauthorized();
      return principal;
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      // The key set could not be fetched: identity is down, which says nothing about the token.
      if (
        error instanceof KeysUnavailable ||
        error instanceof errors.JWKSTimeout ||
        (error instanceof TypeError && /fetch/i.test(error.message))
      )
        throw withHeaders(new HttpProblem(503, 'Service unavailable', 'the token signing keys cannot be fetched; retry shortly'), {
          'Retry-After': '2',
        });
      if (error instanceof errors.JOSEError) throw unauthorized();
      throw error;
    }
  };
}

/**
 * The verifier of a service that trusts identity: keys fetched from its JWKS, kept and refreshed in
 * the background (jwks-cache.ts); a kid not seen yet refetches at once (at most every 10 s), so a
 * rotated key verifies at its first token and identity down fails no token a known key verifies.
 */
export const remoteJwtVerifier = (jwksUrl: string): TokenVerifier => jwtVerifier(cachedRemoteJwks(jwksUrl));

/** The bearer token of a request, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

/**
 * Admits requests with a valid bearer token (401 without one) of one of `roles` when given (403
 * with another role: the route, not a resource, is refused); the principal in c.get('principal').
 * What the principal may touch inside the route is the route's question (lib/authorization.ts).
 */
export function authenticate(
  verify: TokenVerifier,
  roles?: readonly Role[],
  /** Where else a request may carry its token (a page's session cookie); the Authorization header comes first. */
  tokenOf?: (c: Context) => string | undefined,
): MiddlewareHandler<Authenticated> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization')) ?? tokenOf?.(c);
    if (!token) throw unauthorized();
    const principal = await verify(token);
    if (roles && !roles.includes(principal.role))
      throw new HttpProblem(403, 'Forbidden', `this endpoint needs the role ${roles.join(' or ')}`);
    c.set('principal', principal);
    await next();
  };
}

/** The same answer as for a resource that does not exist: another tenant's or merchant's ids cannot be probed. */
export const notFound = (what: string) => new HttpProblem(404, 'Not found', `no ${what}`);
