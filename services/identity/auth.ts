import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../lib/pg.ts';
import type { UserRow } from './accounts.ts';
import { activationTokenPattern, hashActivationToken } from './activation-token.ts';
import { decoyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { RateLimiter } from './rate-limit.ts';
import { accessTokenSeconds, type SigningKey } from './signing-keys.ts';

/** The token is unknown, used, revoked or expired, or its user cannot activate: one answer for all. */
export class InvalidActivation extends Error {
  constructor() {
    super('the activation token is not valid (unknown, used, revoked or expired)');
  }
}
export class WeakPassword extends Error {}
/** Unknown user, wrong password, or a user who may not log in: one answer for all. */
export class LoginRefused extends Error {
  constructor() {
    super('the credentials are not valid');
  }
}
export class TooManyAttempts extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`too many login attempts; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface LoginRequest {
  tenantId: string;
  email?: string;
  phoneNumber?: string;
  password: string;
}

export interface LoginLimits {
  /** Attempts per account (tenant and e-mail or phone number) per window. Default 10 per 15 minutes. */
  perAccount?: { limit: number; windowMs: number };
  /** Attempts per client address per window. Default 60 per minute. */
  perAddress?: { limit: number; windowMs: number };
}

/** Activation and login: the only ways a password enters or a token leaves identity's HTTP side. */
export class Auth {
  private readonly pool: pg.Pool;
  private readonly key: SigningKey;
  private readonly accounts: RateLimiter;
  private readonly addresses: RateLimiter;
  private readonly now: () => number;

  constructor({ pool, key, limits = {}, now = Date.now }: { pool: pg.Pool; key: SigningKey; limits?: LoginLimits; now?: () => number }) {
    this.pool = pool;
    this.key = key;
    this.accounts = new RateLimiter(limits.perAccount ?? { limit: 10, windowMs: 15 * 60_000 });
    this.addresses = new RateLimiter(limits.perAddress ?? { limit: 60, windowMs: 60_000 });
    this.now = now;
  }

  /** Sets the password of the token's user, who becomes Active; the token is spent. Attempts count against the address's login budget. */
  async activate(token: string, password: string, clientAddress: string): Promise<void> {
    const verdict = this.addresses.attempt(clientAddress, this.now());
    if (!verdict.allowed) throw new TooManyAttempts(verdict.retryAfterSeconds);
    if (!activationTokenPattern.test(token)) throw new InvalidActivation();
    await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<UserRow & { token_user: string }>(
        `SELECT u.* FROM activation_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
           AND u.status = 'PendingActivation'
         FOR UPDATE OF t, u`,
        [hashActivationToken(token)],
      );
      const user = rows[0];
      if (!user) throw new InvalidActivation();
      const problem = passwordProblem(password, user.email);
      if (problem) throw new WeakPassword(problem);
      await tx.query("UPDATE users SET status = 'Active', password_hash = $2, updated_at = now() WHERE id = $1", [
        user.id,
        await hashPassword(password),
      ]);
      await tx.query('UPDATE activation_tokens SET used_at = now() WHERE token_hash = $1', [hashActivationToken(token)]);
    });
  }

  /** A signed access token for an Active user with this password; the same refusal for every other case. */
  async login(request: LoginRequest, clientAddress: string): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const account = `${request.tenantId}\n${request.email ? `e:${request.email.toLowerCase()}` : `p:${request.phoneNumber}`}`;
    const now = this.now();
    for (const [limiter, key] of [
      [this.addresses, clientAddress],
      [this.accounts, account],
    ] as const) {
      const verdict = limiter.attempt(key, now);
      if (!verdict.allowed) throw new TooManyAttempts(verdict.retryAfterSeconds);
    }
    const { rows } = await this.pool.query<UserRow>(
      request.email
        ? "SELECT * FROM users WHERE tenant_id = $1 AND email = $2 ORDER BY status = 'Active' DESC LIMIT 1"
        : "SELECT * FROM users WHERE tenant_id = $1 AND phone_number = $2 ORDER BY status = 'Active' DESC LIMIT 1",
      [request.tenantId, request.email ? request.email.toLowerCase() : request.phoneNumber],
    );
    const user = rows[0];
    // Always one scrypt: an unknown user takes as long to refuse as a wrong password.
    const matches = await verifyPassword(request.password, user?.password_hash ?? (await decoyHash));
    if (!user || !matches || user.status !== 'Active') throw new LoginRefused();
    this.accounts.reset(account);
    const accessToken = await this.key.sign({ sub: user.id, tenant: user.tenant_id, role: user.role });
    return { accessToken, tokenType: 'Bearer', expiresIn: accessTokenSeconds };
  }
}

/**
 * The bootstrap administrator from the Secret: created Active on first start; its password
 * follows the Secret (a rotated Secret takes effect at the next start).
 */
export async function ensureBootstrapAdmin(pool: pg.Pool, admin: { tenantId: string; email: string; password: string }): Promise<void> {
  const email = admin.email.toLowerCase();
  const { rows } = await pool.query<UserRow>("SELECT * FROM users WHERE entity_type = 'bootstrap' AND entity_id = $1", [email]);
  const existing = rows[0];
  if (existing?.password_hash && existing.tenant_id === admin.tenantId && (await verifyPassword(admin.password, existing.password_hash)))
    return;
  await pool.query(
    `INSERT INTO users (id, tenant_id, entity_type, entity_id, email, role, status, password_hash, source_version)
     VALUES ($1, $2, 'bootstrap', $3, $3, 'admin', 'Active', $4, 1)
     ON CONFLICT (entity_type, entity_id) DO UPDATE SET tenant_id = $2, password_hash = $4, status = 'Active', updated_at = now()`,
    [randomUUID(), admin.tenantId, email, await hashPassword(admin.password)],
  );
}
