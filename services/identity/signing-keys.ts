import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type pg from 'pg';
import { type Principal, tokenAudience, tokenIssuer } from '../../lib/http/bearer.ts';
import { inTransaction } from '../../lib/pg.ts';

/** Access tokens live 15 minutes: short enough that a disabled user's token soon stops working. */
export const accessTokenSeconds = 15 * 60;

export interface SigningKey {
  kid: string;
  sign: (principal: Principal) => Promise<string>;
  /** The public half, as the JWKS publishes it. */
  publicJwk: JWK;
}

/**
 * The Ed25519 key identity signs with, shared by every replica through the database: the first
 * replica to start creates it (under an advisory lock), the others read it. Its `kid` is the
 * RFC 7638 thumbprint of the public key.
 */
export async function loadSigningKey(pool: pg.Pool): Promise<SigningKey> {
  const stored = await inTransaction(pool, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('eventide-identity-signing-key'))");
    const { rows } = await tx.query<{ kid: string; private_jwk: JWK; public_jwk: JWK }>(
      'SELECT kid, private_jwk, public_jwk FROM signing_keys ORDER BY created_at DESC LIMIT 1',
    );
    if (rows[0]) return rows[0];
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    await tx.query('INSERT INTO signing_keys (kid, private_jwk, public_jwk) VALUES ($1, $2, $3)', [kid, privateJwk, publicJwk]);
    return { kid, private_jwk: privateJwk, public_jwk: publicJwk };
  });
  const key = await importJWK(stored.private_jwk, 'EdDSA');
  return {
    kid: stored.kid,
    publicJwk: { ...stored.public_jwk, kid: stored.kid, alg: 'EdDSA', use: 'sig' },
    sign: (principal) =>
      new SignJWT({ tenant: principal.tenant, role: principal.role })
        .setProtectedHeader({ alg: 'EdDSA', kid: stored.kid, typ: 'JWT' })
        .setSubject(principal.sub)
        .setIssuer(tokenIssuer)
        .setAudience(tokenAudience)
        .setIssuedAt()
        .setExpirationTime(`${accessTokenSeconds}s`)
        .sign(key),
  };
}
