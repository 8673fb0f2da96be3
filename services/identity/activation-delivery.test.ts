import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { type Activation, activationEvent, openActivation, parseDeliveryKey, sealActivation } from './activation-delivery.ts';
import { identityConfig } from './config.ts';
import { identityContracts } from './events.ts';

const x25519 = generateKeyPairSync('x25519');
const publicJwk = { ...x25519.publicKey.export({ format: 'jwk' }), kid: 'deliverer-1' };
const activation: Activation = {
  userId: '5f0c7c39-5c4e-4c59-9a8c-0b8e4d7e9b11',
  tenantId: 'school-a',
  email: 'ada@school.example',
  phoneNumber: '+4915112345678',
  token: 'A'.repeat(43),
  expiresAt: '2026-12-04T10:00:00.000Z',
};
const header = (record: { headers: Record<string, unknown> }) => String(record.headers.ce_type);

describe("the deliverer's public key", () => {
  it('X25519, P-256 and RSA-2048 public JWKs are taken, with their kid or their RFC 7638 thumbprint', () => {
    expect(parseDeliveryKey(JSON.stringify(publicJwk))).toMatchObject({ alg: 'ECDH-ES+A256KW', kid: 'deliverer-1' });
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    expect(parseDeliveryKey(JSON.stringify(p256)).kid).toMatch(/^[\w-]{43}$/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    expect(parseDeliveryKey(JSON.stringify(rsa)).alg).toBe('RSA-OAEP-256');
  });

  it.each([
    ['not JSON', 'not json', /must be a JWK/],
    ['a key set', JSON.stringify({ keys: [publicJwk] }), /key type undefined/],
    ['a private key', JSON.stringify(x25519.privateKey.export({ format: 'jwk' })), /public half only/],
    ['a signing key', JSON.stringify({ ...publicJwk, use: 'sig' }), /"use":"sig"/],
    ['Ed25519', JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })), /curve Ed25519/],
    ['RSA-1024', JSON.stringify(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })), /under 2048/],
    ['a broken point', JSON.stringify({ ...publicJwk, x: 'AAAA' }), /not a valid OKP key/],
    ['another alg', JSON.stringify({ ...publicJwk, alg: 'RSA1_5' }), /identity encrypts to this key with ECDH-ES\+A256KW/],
  ])('%s is refused', (_what, text, reason) => {
    expect(() => parseDeliveryKey(text)).toThrow(reason);
  });
});

describe('activation requests on identity.events', () => {
  it('sealed: a v2 event whose record holds no token; only the private key opens it, bound to its user', async () => {
    const key = parseDeliveryKey(JSON.stringify(publicJwk));
    const record = await activationEvent(activation, { kind: 'sealed', key });
    expect(header(record)).toBe(identityContracts.activationRequestedSealed.type);
    const value = String(record.value);
    expect(value).not.toContain(activation.token);
    const data = JSON.parse(value) as { tokenJwe: string; email: string; userId: string };
    expect(data).toMatchObject({ userId: activation.userId, email: activation.email, expiresAt: activation.expiresAt });
    expect(JSON.parse(Buffer.from(data.tokenJwe.split('.')[0] ?? '', 'base64url').toString())).toEqual({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      kid: 'deliverer-1',
      cty: 'json',
      epk: expect.any(Object),
    });
    expect(await openActivation(data.tokenJwe, x25519.privateKey, data.userId)).toEqual({
      userId: activation.userId,
      email: activation.email,
      phoneNumber: activation.phoneNumber,
      token: activation.token,
      expiresAt: activation.expiresAt,
    });
    // Moved into another user's event, it is refused; another key cannot open it.
    await expect(openActivation(data.tokenJwe, x25519.privateKey, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/another user/);
    await expect(openActivation(data.tokenJwe, generateKeyPairSync('x25519').privateKey, data.userId)).rejects.toThrow();
  });

  it('RSA-OAEP-256 works the same way', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = parseDeliveryKey(JSON.stringify(rsa.publicKey.export({ format: 'jwk' })));
    const sealed = await sealActivation(activation, key);
    expect((await openActivation(sealed, rsa.privateKey, activation.userId)).token).toBe(activation.token);
  });

  it('in clear (development, explicitly): the v1 event with the token', async () => {
    const record = await activationEvent(activation, { kind: 'clear' });
    expect(header(record)).toBe(identityContracts.activationRequested.type);
    expect(JSON.parse(String(record.value))).toMatchObject({ token: activation.token });
  });
});

describe("identity's configuration of the delivery", () => {
  const base = {
    KAFKA_BROKERS: 'localhost:9092',
    DATABASE_URL: 'postgres://localhost/identity',
    TENANTS: 'school-a',
    BOOTSTRAP_ADMIN_EMAIL: 'root@eventide.example',
    BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap-password-1',
  };
  const load = (env: Record<string, string>) => loadConfig('identity', identityConfig, { ...base, ...env });

  it('neither a key nor the development flag: refused at start-up, saying what to set', () => {
    expect(() => load({})).toThrow(/ACTIVATION_DELIVERY_PUBLIC_JWK is required.*ACTIVATION_TOKEN_IN_CLEAR=true/);
  });

  it('both: refused; a bad key: refused with the reason', () => {
    expect(() => load({ ACTIVATION_DELIVERY_PUBLIC_JWK: JSON.stringify(publicJwk), ACTIVATION_TOKEN_IN_CLEAR: 'true' })).toThrow(
      /not both/,
    );
    expect(() => load({ ACTIVATION_DELIVERY_PUBLIC_JWK: JSON.stringify(x25519.privateKey.export({ format: 'jwk' })) })).toThrow(
      /ACTIVATION_DELIVERY_PUBLIC_JWK is a private or secret key/,
    );
  });

  it('a key, or the flag alone, starts; the hashing limits default to one scrypt and eight waiting, at most four at once', () => {
    const sealed = load({ ACTIVATION_DELIVERY_PUBLIC_JWK: JSON.stringify(publicJwk) });
    expect(sealed.ACTIVATION_DELIVERY_PUBLIC_JWK?.kid).toBe('deliverer-1');
    expect(sealed).toMatchObject({ ACTIVATION_TOKEN_IN_CLEAR: false, PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 8 });
    expect(load({ ACTIVATION_TOKEN_IN_CLEAR: 'true' }).ACTIVATION_DELIVERY_PUBLIC_JWK).toBeUndefined();
    expect(() => load({ ACTIVATION_TOKEN_IN_CLEAR: 'true', PASSWORD_HASH_CONCURRENCY: '5' })).toThrow(/PASSWORD_HASH_CONCURRENCY/);
  });
});
