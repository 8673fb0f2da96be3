import { describe, expect, it } from 'vitest';
import { claimsOf, principalOf } from '../../lib/http/bearer.ts';
import { acceptedSecretHashes, type Client, clientId, grantedScopes, principalOfClient, scopesOf } from './client-credentials.ts';

const merchantId = '0b6f9c1e-3a52-4d8e-9f1a-7c2d5e8b4a10';
const client: Client = { clientId: 'shop', role: 'merchant', merchantId, subject: 'shop', scopes: [], secretHash: 'current' };

describe('machine clients', () => {
  it('only the payment provider completes payments', () => {
    expect(scopesOf('payment-provider')).toEqual(['payments:complete']);
    expect(scopesOf('merchant')).toEqual([]);
    expect(scopesOf('organizer')).toEqual([]);
  });

  it('accepts the previous secret only until the overlap ends', () => {
    const rotated = { ...client, previousSecretHash: 'previous', previousValidUntil: new Date('2027-01-01T10:10:00Z') };
    expect(acceptedSecretHashes(client, new Date('2027-01-01T10:00:00Z'))).toEqual(['current']);
    expect(acceptedSecretHashes(rotated, new Date('2027-01-01T10:09:59Z'))).toEqual(['current', 'previous']);
    expect(acceptedSecretHashes(rotated, new Date('2027-01-01T10:10:00Z'))).toEqual(['current']);
  });

  it('grants all scopes when none are asked for, those asked for when the client has them, else nothing', () => {
    expect(grantedScopes(undefined, ['payments:complete'])).toEqual(['payments:complete']);
    expect(grantedScopes(['payments:complete'], ['payments:complete'])).toEqual(['payments:complete']);
    expect(grantedScopes(['payments:complete'], [])).toBeUndefined();
    expect(grantedScopes([], [])).toEqual([]);
  });

  it("a merchant client's token names its merchant, an organizer's its organizer, and reads back as signed", () => {
    const merchant = principalOfClient(client, []);
    expect(merchant).toEqual({ sub: 'shop', role: 'merchant', merchantId, scopes: [] });
    expect(principalOf({ sub: merchant.sub, ...claimsOf(merchant) })).toEqual(merchant);
    const organizerId = '5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90';
    const organizer = principalOfClient({ ...client, role: 'organizer', merchantId: undefined, subject: organizerId }, []);
    expect(organizer).toEqual({ sub: organizerId, role: 'organizer', scopes: [] });
    const provider = principalOfClient({ ...client, role: 'payment-provider', merchantId: undefined, scopes: ['payments:complete'] }, [
      'payments:complete',
    ]);
    expect(principalOf({ sub: provider.sub, ...claimsOf(provider) })).toEqual(provider);
  });

  it('client ids are unreserved characters only', () => {
    expect(clientId.safeParse('payment-provider.psp_1~x').success).toBe(true);
    for (const bad of ['ab', 'with space', 'colon:in', 'a'.repeat(101)]) expect(clientId.safeParse(bad).success).toBe(false);
  });
});
