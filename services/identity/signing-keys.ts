import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Principal } from '../../lib/authorization.ts';
import { claimsOf, tokenAudience, tokenIssuer } from '../../lib/http/bearer.ts';
import { inTransaction } from '../../lib/pg.ts';
import { type KeyPolicy, type PlannedKey, planKeys } from './key-plan.ts';

/** Access tokens live 15 minutes: short enough that a disabled user's token soon stops working. */
export const accessTokenSeconds = 15 * 60;
/** How long verifiers may cache the JWKS (the endpoint's max-age; lib/http/bearer.ts caches as long). */
export const jwksMaxAgeSeconds = 300;
/** How often every replica rereads the keys. */
export const keyRefreshMs = 30_000;
/**
 * A new key is published this long before it signs: longer than a JWKS stays cached plus a
 * refresh of the replica that serves it, so verifiers hold the key before its first token.
 */
export const publishLeadMs = 10 * 60_000;

interface StoredKey {
  kid: string;
  private_jwk: JWK;
  public_jwk: JWK;
  created_at: Date;
  activates_at: Date;
}
interface LoadedKey {
  planned: PlannedKey;
  publicJwk: JWK;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
}

const planned = (row: StoredKey): PlannedKey => ({
  kid: row.kid,
  createdAt: row.created_at.getTime(),
  activatesAt: row.activates_at.getTime(),
});

/**
 * identity's Ed25519 signing keys, shared by every replica through PostgreSQL: each refresh (at
 * start, then every 30 s, under an advisory lock) creates and retires keys as key-plan.ts
 * decides, and loads them all. Time is PostgreSQL's, so every replica signs with the same key
 * and publishes the same set whatever its own clock says. A `kid` is the RFC 7638 thumbprint.
 */
export class KeyRing {
  private readonly pool: pg.Pool;
  private readonly policy: KeyPolicy;
  private keys = new Map<string, LoadedKey>();
  /** PostgreSQL's clock minus this process's. */
  private offsetMs = 0;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private stopped = false;

  constructor({ pool, rotateAfterMs }: { pool: pg.Pool; rotateAfterMs: number }) {
    this.pool = pool;
    this.policy = { rotateAfterMs, publishLeadMs, tokenLifetimeMs: accessTokenSeconds * 1000 };
  }

  /** Refreshes now, then every 30 s until stop(); a failed refresh keeps the keys loaded (they serve for hours). */
  async start(log: Logger): Promise<void> {
    await this.refresh();
    if (this.stopped) return;
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh()
        .catch((error: unknown) => log.warn({ err: error }, 'signing keys not refreshed; keeping the loaded ones'))
        .finally(() => {
          this.refreshing = undefined;
        });
    }, keyRefreshMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.refreshing;
  }

  /** Creates and retires keys as the plan says, then loads what is stored. */
  async refresh(): Promise<void> {
    const { rows, databaseNow } = await inTransaction(this.pool, async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('eventide-identity-signing-keys'))");
      const read = async () =>
        (await tx.query<StoredKey>('SELECT kid, private_jwk, public_jwk, created_at, activates_at FROM signing_keys')).rows;
      const { rows: clock } = await tx.query<{ now: Date }>('SELECT now()');
      const now = (clock[0] as { now: Date }).now;
      const plan = planKeys((await read()).map(planned), now.getTime(), this.policy);
      if (plan.retired.length > 0) await tx.query('DELETE FROM signing_keys WHERE kid = ANY($1)', [plan.retired]);
      if (plan.create) {
        const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
        const publicJwk = await exportJWK(publicKey);
        await tx.query('INSERT INTO signing_keys (kid, private_jwk, public_jwk, created_at, activates_at) VALUES ($1, $2, $3, $4, $5)', [
          await calculateJwkThumbprint(publicJwk),
          await exportJWK(privateKey),
          publicJwk,
          now,
          new Date(plan.create.activatesAt),
        ]);
      }
      return { rows: await read(), databaseNow: now.getTime() };
    });
    this.offsetMs = databaseNow - Date.now();
    const keys = new Map<string, LoadedKey>();
    for (const row of rows)
      keys.set(row.kid, {
        planned: planned(row),
        publicJwk: { ...row.public_jwk, kid: row.kid, alg: 'EdDSA', use: 'sig' },
        privateKey: this.keys.get(row.kid)?.privateKey ?? (await importJWK(row.private_jwk, 'EdDSA')),
      });
    this.keys = keys;
  }

  /** A signed access token for the principal: its claims as lib/http/bearer.ts reads them, 15 minutes, the signing key's kid. */
  async sign(principal: Principal): Promise<string> {
    const now = this.now();
    const kid = this.plan(now).signing;
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!kid || !key) throw new Error('no signing key is loaded');
    const issuedAt = Math.floor(now / 1000);
    return new SignJWT(claimsOf(principal))
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT' })
      .setSubject(principal.sub)
      .setIssuer(tokenIssuer)
      .setAudience(tokenAudience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + accessTokenSeconds)
      .sign(key.privateKey);
  }

  /** The public keys that may verify a live token, or soon will: what /.well-known/jwks.json serves. */
  jwks(): { keys: JWK[] } {
    return { keys: this.plan(this.now()).published.flatMap((kid) => this.keys.get(kid)?.publicJwk ?? []) };
  }

  /** Identity's own verifier's key lookup: any published key. */
  readonly verificationKeys: JWTVerifyGetKey = (header, token) => createLocalJWKSet(this.jwks())(header, token);

  private now(): number {
    return Date.now() + this.offsetMs;
  }

  private plan(now: number) {
    return planKeys(
      [...this.keys.values()].map((k) => k.planned),
      now,
      this.policy,
    );
  }
}
