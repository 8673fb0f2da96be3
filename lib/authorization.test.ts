import { describe, expect, it } from 'vitest';
import {
  idempotencyScope,
  mayActForMerchant,
  mayCompletePayments,
  mayManageTenant,
  mayWriteForOrganizer,
  type Principal,
  scopes,
} from './authorization.ts';

const m1 = '6f1d8e3a-7b90-4a7e-9b2c-5a1e3c8b0d4f';
const m2 = '0d4f5a1e-3c8b-4a7e-9b2c-6f1d8e3a7b90';
const platformAdmin: Principal = { sub: 'u0', role: 'platform-admin', tenant: 'platform', scopes: [] };
const schoolAdmin: Principal = { sub: 'u1', role: 'admin', tenant: 'school-a', scopes: [] };
const teacher: Principal = { sub: 'u2', role: 'teacher', tenant: 'school-a', scopes: [] };
const merchant: Principal = { sub: 'c1', role: 'merchant', merchantId: m1, scopes: [] };
const provider: Principal = { sub: 'c2', role: 'payment-provider', scopes: [scopes.completePayments] };
const organizer: Principal = { sub: m2, role: 'organizer', scopes: [] };

describe('authorization decisions', () => {
  it.each([
    [platformAdmin, 'school-b', true],
    [schoolAdmin, 'school-a', true],
    [schoolAdmin, 'school-b', false],
    [teacher, 'school-a', false],
    [merchant, 'school-a', false],
  ])('mayManageTenant(%o, %s) = %s', (p, tenant, expected) => expect(mayManageTenant(p, tenant)).toBe(expected));

  it.each([
    [platformAdmin, m2, true],
    [merchant, m1, true],
    [merchant, m1.toUpperCase(), true],
    [merchant, m2, false],
    [provider, m1, false],
    [schoolAdmin, m1, false],
    [{ ...organizer, sub: m1 }, m1, false],
  ])('mayActForMerchant(%o, %s) = %s', (p, id, expected) => expect(mayActForMerchant(p, id)).toBe(expected));

  it('completing payments is the provider scope alone: not a merchant, not even a platform administrator', () => {
    expect([provider, merchant, platformAdmin].map(mayCompletePayments)).toEqual([true, false, false]);
  });

  it.each([
    [organizer, m2, true],
    [organizer, m1, false],
    [platformAdmin, m1, true],
    [schoolAdmin, m2, false],
    [{ ...merchant, sub: m2 }, m2, false],
  ])('mayWriteForOrganizer(%o, %s) = %s', (p, id, expected) => expect(mayWriteForOrganizer(p, id)).toBe(expected));

  it('idempotency keys live per merchant for merchants, per caller otherwise', () => {
    expect(idempotencyScope(merchant)).toBe(`merchant:${m1}`);
    expect(idempotencyScope({ ...merchant, sub: 'c9' })).toBe(`merchant:${m1}`);
    expect(idempotencyScope(provider)).toBe('payment-provider:c2');
    expect(idempotencyScope(platformAdmin)).not.toBe(idempotencyScope(provider));
  });
});
