/**
 * Who may touch what: pure decisions over a verified caller, no I/O. Every service asks these and
 * nothing else, so the platform's rules read in one place (the table of roles and routes in docs/security.md).
 * A refusal about someone else's resource is answered 404 by the caller, so ids cannot be probed.
 */

/** The platform's roles: people log in (platform-admin, admin, teacher), machines use client credentials (merchant, payment-provider, organizer). */
export const roles = ['platform-admin', 'admin', 'teacher', 'merchant', 'payment-provider', 'organizer'] as const;
export type Role = (typeof roles)[number];

/** Scopes a token may carry beyond its role. */
export const scopes = {
  /** Completing a payment: the payment provider's, nobody else's (a merchant cannot complete its own payments). */
  completePayments: 'payments:complete',
} as const;

/** Who a verified bearer token says the caller is. */
export interface Principal {
  /** The user id, or for a machine client its client id (an organizer client: its organizer id). */
  sub: string;
  role: Role;
  /** The school of a person (platform-admin: the platform's own tenant). */
  tenant?: string;
  /** The one merchant a merchant's token may touch. */
  merchantId?: string;
  scopes: readonly string[];
}

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (roles as readonly string[]).includes(value);

export const isPlatformAdmin = (p: Principal): boolean => p.role === 'platform-admin';

/** A tenant's teachers and users: its own administrators and the platform's. */
export const mayManageTenant = (p: Principal, tenantId: string): boolean =>
  isPlatformAdmin(p) || (p.role === 'admin' && p.tenant === tenantId);

/** A merchant's payments, withdrawals, balance and journal: its own token and the platform's administrators. */
export const mayActForMerchant = (p: Principal, merchantId: string): boolean =>
  isPlatformAdmin(p) || (p.role === 'merchant' && p.merchantId?.toLowerCase() === merchantId.toLowerCase());

/** Completing payments: only a token with the provider's scope, whatever its role. */
export const mayCompletePayments = (p: Principal): boolean => p.scopes.includes(scopes.completePayments);

/** Writing a catalog event of `organizerId`: that organizer (the token's subject) or a platform administrator. */
export const mayWriteForOrganizer = (p: Principal, organizerId: string): boolean =>
  isPlatformAdmin(p) || (p.role === 'organizer' && p.sub.toLowerCase() === organizerId.toLowerCase());

/**
 * Whose Idempotency-Keys a caller's key lives among: a merchant's staff and backends share their
 * merchant's, everyone else has their own. One key value used by two callers means two requests.
 */
export const idempotencyScope = (p: Principal): string =>
  p.role === 'merchant' && p.merchantId ? `merchant:${p.merchantId}` : `${p.role}:${p.sub}`;
