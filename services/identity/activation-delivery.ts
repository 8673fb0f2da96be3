/**
 * How an activation token reaches its deliverer (the e-mail or SMS sender reading identity.events)
 * without anyone else who can read the topic, the outbox or a backup of either being able to
 * activate the account: encrypted to the deliverer's public key (compact JWE, RFC 7516), so only
 * the holder of its private key reads it. The event is kept a day on the topic and its outbox row
 * an hour; the ciphertext is all either holds.
 *
 * Why a JWE rather than a one-time reference the deliverer redeems at identity: the deliverer
 * stays a plain consumer of the topic (no credentials for identity, no route to it, no new scope),
 * identity keeps never storing a token (only its SHA-256), and the PostgreSQL outbox holds nothing
 * that activates an account either. What the JWE carries is bound to the user: the deliverer sends
 * the token to the address inside the ciphertext, so a forged event cannot redirect it.
 *
 * Without a key, only an explicit ACTIVATION_TOKEN_IN_CLEAR=true (development) publishes tokens in
 * clear, as the v1 event; identity refuses to start with neither.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, type KeyInput } from 'jose';
import type { KafkaRecord } from '../../lib/cloudevents.ts';
import { encodeEvent } from '../../lib/contracts.ts';
import { identityContracts } from './events.ts';

/** What the deliverer needs: who, where to, the token, and until when it works. */
export interface Activation {
  userId: string;
  tenantId: string;
  email: string;
  phoneNumber?: string;
  token: string;
  expiresAt: string;
}

/** The deliverer's public key as identity uses it. */
export interface DeliveryKey {
  key: KeyObject;
  alg: 'ECDH-ES+A256KW' | 'RSA-OAEP-256';
  /** The JWK's kid, or its RFC 7638 thumbprint: the deliverer picks its private key by it. */
  kid: string;
}

export const contentEncryption = 'A256GCM';
const curves = ['P-256', 'P-384', 'P-521', 'X25519'];
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** RFC 7638: SHA-256 over the required members in lexicographic order. */
function thumbprint(jwk: JsonWebKey): string {
  const required: Record<string, string[]> = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] };
  const members = required[jwk.kty ?? ''] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m as keyof JsonWebKey]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * ACTIVATION_DELIVERY_PUBLIC_JWK read and checked (for the start-up error): a public JWK for
 * encryption — EC P-256/P-384/P-521 or OKP X25519 (ECDH-ES+A256KW), or RSA of 2048 bits or more
 * (RSA-OAEP-256). Throws with the reason.
 */
export function parseDeliveryKey(text: string): DeliveryKey {
  let jwk: JsonWebKey & { kid?: string; alg?: string; use?: string };
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error('must be a JWK (JSON), e.g. {"kty":"OKP","crv":"X25519","x":"…","kid":"deliverer-2026"}');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error('must be one JWK object, not a key set');
  if (privateMembers.some((m) => m in jwk)) throw new Error('is a private or secret key: give identity the public half only');
  if (jwk.use !== undefined && jwk.use !== 'enc') throw new Error(`has "use":"${jwk.use}"; an encryption key has "enc"`);
  let alg: DeliveryKey['alg'];
  if (jwk.kty === 'EC' || jwk.kty === 'OKP') {
    if (!curves.includes(jwk.crv ?? '')) throw new Error(`curve ${jwk.crv} is not one of ${curves.join(', ')}`);
    alg = 'ECDH-ES+A256KW';
  } else if (jwk.kty === 'RSA') {
    alg = 'RSA-OAEP-256';
  } else {
    throw new Error(`key type ${jwk.kty} is not EC, OKP or RSA`);
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new Error(`has "alg":"${jwk.alg}"; identity encrypts to this key with ${alg}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new Error(`is not a valid ${jwk.kty} key: ${(error as Error).message}`);
  }
  if (jwk.kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('is an RSA key under 2048 bits');
  return { key, alg, kid: jwk.kid ?? thumbprint(jwk) };
}

/** An activation, sealed for the deliverer alone. */
export async function sealActivation(activation: Activation, delivery: DeliveryKey): Promise<string> {
  const { userId, email, phoneNumber, token, expiresAt } = activation;
  const plaintext = new TextEncoder().encode(JSON.stringify({ userId, email, ...(phoneNumber ? { phoneNumber } : {}), token, expiresAt }));
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: delivery.alg, enc: contentEncryption, kid: delivery.kid, cty: 'json' })
    .encrypt(delivery.key);
}

/**
 * The deliverer's side (and development tools holding the development key): the activation inside
 * a tokenJwe, which must name the user of the event it came in.
 */
export async function openActivation(tokenJwe: string, privateKey: KeyInput, userId: string) {
  const { plaintext } = await compactDecrypt(tokenJwe, privateKey, {
    keyManagementAlgorithms: ['ECDH-ES+A256KW', 'RSA-OAEP-256'],
    contentEncryptionAlgorithms: [contentEncryption],
  });
  const sealed = JSON.parse(new TextDecoder().decode(plaintext)) as Omit<Activation, 'tenantId'>;
  if (sealed.userId !== userId) throw new Error('the sealed activation names another user than its event');
  return sealed;
}

/** How activation requests leave identity: sealed to the deliverer's key, or (development, explicitly) in clear. */
export type ActivationDelivery = { kind: 'sealed'; key: DeliveryKey } | { kind: 'clear' };

/** The event of an activation request: v2 with the token sealed, or v1 with it in clear. */
export async function activationEvent(activation: Activation, delivery: ActivationDelivery): Promise<KafkaRecord & { topic: string }> {
  if (delivery.kind === 'clear') return encodeEvent(identityContracts.activationRequested, { ...activation });
  const { userId, tenantId, email, phoneNumber, expiresAt } = activation;
  return encodeEvent(identityContracts.activationRequestedSealed, {
    userId,
    tenantId,
    email,
    ...(phoneNumber ? { phoneNumber } : {}),
    expiresAt,
    tokenJwe: await sealActivation(activation, delivery.key),
  });
}
