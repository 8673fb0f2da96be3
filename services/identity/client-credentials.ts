/**
 * Machine clients, the pure rules: OAuth 2.0 client credentials (RFC 6749 §4.4) served with jose,
 * the library that already signs the people's tokens, rather than panva's oidc-provider. We need
 * one grant and the JWKS; oidc-provider would bring Koa, its own storage adapter and the whole
 * OpenID Connect surface (authorization endpoint, discovery, sessions, consent) to configure and
 * keep shut. clients.ts stores the clients, token-request.ts reads a token request,
 * client-grant.ts answers it.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Principal, scopes } from '../../lib/authorization.ts';

export const clientRoles = ['merchant', 'payment-provider', 'organizer'] as const;
export type ClientRole = (typeof clientRoles)[number];

/** Client ids travel in HTTP Basic and form bodies: unreserved characters only, so their encoding is never in question. */
export const clientId = z.string().regex(/^[A-Za-z0-9._~-]{3,100}$/, 'a client id: 3 to 100 letters, digits, ".", "_", "~" or "-"');
/** A configured secret (the bootstrap provider's) must be at least this long; generated ones have 43 characters. */
export const minClientSecretLength = 24;

/** A client as the rules see it. */
export interface Client {
  clientId: string;
  role: ClientRole;
  merchantId?: string;
  subject: string;
  scopes: readonly string[];
  secretHash: string;
  previousSecretHash?: string;
  previousValidUntil?: Date;
}

/** 32 random bytes: the secret is shown once and only a slow hash of it is stored. */
export const newClientSecret = () => randomBytes(32).toString('base64url');

/** What a role's tokens may do beyond the role: the payment provider completes payments, nobody else does. */
export const scopesOf = (role: ClientRole): string[] => (role === 'payment-provider' ? [scopes.completePayments] : []);

/** The stored hashes a presented secret may match now: the current one, and during the overlap after a rotation the previous one. */
export const acceptedSecretHashes = (client: Client, now: Date): string[] => [
  client.secretHash,
  ...(client.previousSecretHash && client.previousValidUntil && client.previousValidUntil > now ? [client.previousSecretHash] : []),
];

/**
 * The scopes a token gets: all of the client's when it asks for none, else what it asks for if
 * the client has all of it (RFC 6749 §3.3), or undefined (invalid_scope).
 */
export function grantedScopes(requested: readonly string[] | undefined, allowed: readonly string[]): string[] | undefined {
  if (requested === undefined) return [...allowed];
  return requested.every((s) => allowed.includes(s)) ? [...requested] : undefined;
}

/** Who a client's token says the caller is. */
export const principalOfClient = (client: Client, granted: readonly string[]): Principal => ({
  sub: client.subject,
  role: client.role,
  ...(client.merchantId ? { merchantId: client.merchantId } : {}),
  scopes: granted,
});
