import type pg from 'pg';
import type { Principal } from '../../lib/authorization.ts';
import { inTransaction } from '../../lib/pg.ts';
import type { Accounts, UserRow } from './accounts.ts';
import { activationTokenPattern, hashActivationToken } from './activation-token.ts';
import { HashingBusy, needsRehash, type PasswordHasher, passwordProblem } from './passwords.ts';
import type { RateLimiter } from './rate-limit.ts';
import { accessTokenSeconds } from './signing-keys.ts';

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
    super(`too many attempts; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** By e-mail only: phone numbers are not unique, so one cannot name an account. */
export interface LoginRequest {
  tenantId: string;
  email: string;
  password: string;
}

export interface AuthLimits {
  /** Attempts per client address, shared with the token endpoint (one budget per caller). */
  perAddress: RateLimiter;
  /** Login attempts per account (tenant and e-mail); a success clears it. */
  perAccount: RateLimiter;
  /** Activation resends per account (tenant and e-mail). */
  resendsPerAccount: RateLimiter;
}

/**
 * Activation, its resending, and login: the only ways a password enters or a person's token
 * leaves identity's HTTP side.
 */
export class Auth {
  private readonly pool: pg.Pool;
  private readonly accounts: Accounts;
  private readonly sign: (principal: Principal) => Promise<string>;
  private readonly limits: AuthLimits;
  private readonly passwords: PasswordHasher;
  private readonly now: () => number;

  constructor(deps: {
    pool: pg.Pool;
    accounts: Accounts;
    sign: (principal: Principal) => Promise<string>;
    limits: AuthLimits;
    /** Every scrypt goes through it: a bounded number at once, HashingBusy (503) beyond its queue. */
    passwords: PasswordHasher;
    now?: () => number;
  }) {
    this.pool = deps.pool;
    this.accounts = deps.accounts;
    this.sign = deps.sign;
    this.limits = deps.limits;
    this.passwords = deps.passwords;
    this.now = deps.now ?? Date.now;
  }

  /** Sets the password of the token's user, who becomes Active; the token is spent. Attempts count against the address's budget. */
  async activate(token: string, password: string, clientAddress: string): Promise<void> {
    this.admit([[this.limits.perAddress, clientAddress]]);
    if (!activationTokenPattern.test(token)) throw new InvalidActivation();
    await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<UserRow>(
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
        await this.passwords.hash(password),
      ]);
      await tx.query('UPDATE activation_tokens SET used_at = now() WHERE token_hash = $1', [hashActivationToken(token)]);
    });
  }

  /**
   * A new activation token for each user of this address waiting for activation (none: nothing
   * happens). The caller answers alike either way, so addresses cannot be probed.
   */
  async resendActivation(tenantId: string, email: string, clientAddress: string): Promise<void> {
    this.admit([
      [this.limits.perAddress, clientAddress],
      [this.limits.resendsPerAccount, `${tenantId}\n${email}`],
    ]);
    await inTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<UserRow>(
        "SELECT * FROM users WHERE tenant_id = $1 AND email = $2 AND status = 'PendingActivation' ORDER BY id FOR UPDATE",
        [tenantId, email],
      );
      for (const user of rows) await this.accounts.issueActivation(tx, user);
    });
  }

  /** A signed access token for an Active user with this password; the same refusal for every other case. */
  async login(request: LoginRequest, clientAddress: string): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
    const account = `${request.tenantId}\n${request.email}`;
    this.admit([
      [this.limits.perAddress, clientAddress],
      [this.limits.perAccount, account],
    ]);
    const { rows } = await this.pool.query<UserRow>(
      "SELECT * FROM users WHERE tenant_id = $1 AND email = $2 ORDER BY status = 'Active' DESC, created_at LIMIT 1",
      [request.tenantId, request.email],
    );
    const user = rows[0];
    // Always one scrypt: an unknown user takes as long to refuse as a wrong password.
    const matches = user?.password_hash
      ? await this.passwords.verify(request.password, user.password_hash)
      : await this.passwords.verifyDecoy(request.password);
    if (!user?.password_hash || !matches || user.status !== 'Active') throw new LoginRefused();
    this.limits.perAccount.reset(account);
    if (needsRehash(user.password_hash)) await this.rehash(user, request.password);
    const accessToken = await this.sign({ sub: user.id, role: user.role, tenant: user.tenant_id, scopes: [] });
    return { accessToken, tokenType: 'Bearer', expiresIn: accessTokenSeconds };
  }

  /**
   * A hash of today's parameters for a password that was hashed with older ones, now that it is
   * known; when the hashes are busy it waits for the next login (the login is not refused for it).
   */
  private async rehash(user: UserRow, password: string): Promise<void> {
    const stored = user.password_hash;
    try {
      const hash = await this.passwords.hash(password);
      // Unless the password changed meanwhile.
      await this.pool.query('UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3', [user.id, hash, stored]);
    } catch (error) {
      if (!(error instanceof HashingBusy)) throw error;
    }
  }

  /** Counts an attempt against each limiter; the first that refuses answers 429. */
  private admit(checks: [RateLimiter, string][]): void {
    const now = this.now();
    for (const [limiter, key] of checks) {
      const verdict = limiter.attempt(key, now);
      if (!verdict.allowed) throw new TooManyAttempts(verdict.retryAfterSeconds);
    }
  }
}
