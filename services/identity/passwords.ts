import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { BoundedQueue, QueueFull } from './bounded-queue.ts';

/** At least this many characters (NIST SP 800-63B asks for 8 at least; we ask for more, and nothing else). */
export const minPasswordLength = 12;
const maxPasswordLength = 256;

/** Why a password is refused, or undefined when it is acceptable. Pure. */
export function passwordProblem(password: string, email: string): string | undefined {
  const length = [...password].length;
  if (length < minPasswordLength) return `the password must have at least ${minPasswordLength} characters`;
  if (length > maxPasswordLength) return `the password must have at most ${maxPasswordLength} characters`;
  const lower = password.toLowerCase();
  const mailbox = email.toLowerCase();
  if (lower === mailbox || lower === mailbox.split('@')[0]) return 'the password must not be the e-mail address';
  return undefined;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * scrypt at N=2^16, r=8, p=2: one of the settings OWASP's Password Storage Cheat Sheet lists as
 * its minimum ("N=2^17 (128 MiB), r=8, p=1" or, equivalently, "N=2^16 (64 MiB), r=8, p=2", "N=2^15
 * (32 MiB), r=8, p=3", …). This one, because it costs the CPU time of the first (the p lanes run
 * one after the other in one buffer) in half the memory. The budget, in identity's 256 MiB
 * container: Node itself ~135 MiB (measured, idle, heap capped at 96 MiB) + 1 scrypt at a time ×
 * 64 MiB ≈ 200 MiB, the peak login-storm.int.test.ts measures under 50 logins at once; N=2^17
 * would need 135 + 128 > 256. Hashes made before (N=2^15, r=8, p=1) still verify: the stored
 * string carries its parameters, and a login with the right password stores a new one.
 */
export const currentParams: ScryptParams = { N: 2 ** 16, r: 8, p: 2 };
const keyLength = 32;

/** What OpenSSL allocates for one scrypt (its B and V buffers), the figure `maxmem` bounds. */
export const scryptMemoryBytes = ({ N, r, p }: ScryptParams) => 128 * r * p + 128 * r * (N + 2);
/** No hash may take more than one made now: a stored string that asks for more is refused, not computed. */
export const maxmem = scryptMemoryBytes(currentParams);

const derive = (password: string, salt: Buffer, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** `scrypt$N$r$p$salt$hash` (base64url) as stored, or undefined when it is not one of ours. Pure. */
export function parseHash(stored: string): (ScryptParams & { salt: Buffer; hash: Buffer }) | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || rest.length > 0) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const sane =
    Number.isInteger(params.N) &&
    params.N > 1 &&
    (params.N & (params.N - 1)) === 0 &&
    Number.isInteger(params.r) &&
    params.r >= 1 &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= 16;
  if (!sane || scryptMemoryBytes(params) > maxmem) return undefined;
  return { ...params, salt: Buffer.from(salt, 'base64url'), hash: Buffer.from(hash, 'base64url') };
}

/** Whether a stored hash was made with other parameters than today's: rehash it when the password is next known. Pure. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N !== currentParams.N || parsed.r !== currentParams.r || parsed.p !== currentParams.p;
}

/** Too many passwords are being hashed already: the caller answers 503 with Retry-After. */
export class HashingBusy extends Error {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super(`too many sign-ins are being checked; retry in ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface HashingLimits {
  /** scrypts at once. Each takes up to `maxmem` (64 MiB) on libuv's thread pool. Default 1. */
  concurrency?: number;
  /** Hashes waiting for a place; beyond that, HashingBusy. Default 8. */
  queue?: number;
}

/**
 * Every password and client secret identity hashes or checks goes through one of these: at most
 * `concurrency` scrypts at once and `queue` waiting, so a login storm costs at most
 * concurrency × 64 MiB and answers 503 beyond that, instead of the Pod being OOM-killed.
 */
export class PasswordHasher {
  private readonly queue: BoundedQueue;
  private decoy: Promise<string>;

  constructor({ concurrency = 1, queue = 8 }: HashingLimits = {}) {
    this.queue = new BoundedQueue({ concurrency, capacity: queue, expectedMs: 300 });
    // Made now (in its turn), so the first unknown user costs one scrypt like every later one.
    this.decoy = this.newDecoy();
  }

  /** Scrypts running and waiting now. */
  get depth(): { running: number; waiting: number } {
    return this.queue.depth;
  }

  /** `scrypt$N$r$p$salt$hash` (base64url), with a fresh 16-byte salt per password. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.limited(() => derive(password, salt, { ...currentParams, maxmem }));
    return ['scrypt', currentParams.N, currentParams.r, currentParams.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** Whether the password matches the stored hash (made with any parameters we ever used); compares in constant time. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const { salt, hash, ...params } = parsed;
    const key = await this.limited(() => derive(password, salt, { ...params, maxmem }));
    return key.length === hash.length && timingSafeEqual(key, hash);
  }

  /**
   * Checks the password against a hash of nothing anyone knows (false, always): a login for an
   * unknown user costs one scrypt of today's parameters, as long as a wrong password for a known one.
   */
  async verifyDecoy(password: string): Promise<false> {
    const decoy = await this.decoy.catch(() => {
      // It could not be made (the queue was full): make it now, in this caller's turn.
      this.decoy = this.newDecoy();
      return this.decoy;
    });
    await this.verify(password, decoy);
    return false;
  }

  private newDecoy(): Promise<string> {
    const decoy = this.hash(randomBytes(32).toString('base64url'));
    decoy.catch(() => undefined);
    return decoy;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await this.queue.run(task);
    } catch (error) {
      if (error instanceof QueueFull) throw new HashingBusy(error.retryAfterSeconds);
      throw error;
    }
  }
}
