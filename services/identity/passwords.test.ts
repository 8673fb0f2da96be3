import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  currentParams,
  HashingBusy,
  maxmem,
  needsRehash,
  PasswordHasher,
  parseHash,
  passwordProblem,
  scryptMemoryBytes,
} from './passwords.ts';

describe('password policy', () => {
  it.each([
    ['short', 'ada@school.example', /at least 12/],
    ['ada@school.example', 'ada@school.example', /e-mail/],
    ['ADA@School.Example', 'ada@school.example', /e-mail/],
    ['adalovelace1', 'adalovelace1@school.example', /e-mail/],
    ['x'.repeat(257), 'ada@school.example', /at most 256/],
  ])('%s is refused', (password, email, reason) => {
    expect(passwordProblem(password, email)).toMatch(reason);
  });

  it('twelve characters that are not the e-mail pass, counted as characters, not bytes', () => {
    expect(passwordProblem('correct horse', 'ada@school.example')).toBeUndefined();
    expect(passwordProblem('ääääääääääää', 'ada@school.example')).toBeUndefined();
    expect(passwordProblem('äääääääääää', 'ada@school.example')).toMatch(/at least 12/);
  });
});

/** A hash as identity made them before (N=2^15, r=8, p=1), with its parameters in the string. */
function legacyHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', 2 ** 15, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
}

// Each scrypt takes a few hundred milliseconds, more on a busy machine.
describe('password hashes', { timeout: 30_000 }, () => {
  const hasher = new PasswordHasher();

  it("are at OWASP's floor (N=2^16, r=8, p=2: the cheat sheet's equivalent of N=2^17, p=1) in 64 MiB, maxmem set to that", () => {
    expect(currentParams).toEqual({ N: 65536, r: 8, p: 2 });
    expect(maxmem).toBe(scryptMemoryBytes(currentParams));
    expect(maxmem / 2 ** 20).toBeCloseTo(64, 0);
  });

  it('verify the password they were made from and no other, with a salt of their own', async () => {
    const first = await hasher.hash('correct horse battery');
    const second = await hasher.hash('correct horse battery');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$65536\$8\$2\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toContain('correct');
    expect(await hasher.verify('correct horse battery', first)).toBe(true);
    expect(await hasher.verify('correct horse battery', second)).toBe(true);
    expect(await hasher.verify('correct horse batterY', first)).toBe(false);
    expect(await hasher.verify('correct horse battery', 'md5$abc')).toBe(false);
    expect(needsRehash(first)).toBe(false);
  });

  it('made before with N=2^15 still verify, and are marked for rehashing', async () => {
    const old = legacyHash('correct horse battery');
    expect(await hasher.verify('correct horse battery', old)).toBe(true);
    expect(await hasher.verify('wrong horse battery', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('asking for more memory than maxmem, or nonsense parameters, are refused without computing', async () => {
    const [, , , , salt, hash] = legacyHash('x').split('$');
    for (const [n, r, p] of [
      [2 ** 20, 8, 1],
      [2 ** 16, 16, 1],
      [3000, 8, 1],
      [2 ** 14, 8, 0],
      [2 ** 14, 8, 1000],
    ])
      expect(parseHash(['scrypt', n, r, p, salt, hash].join('$'))).toBeUndefined();
    const started = performance.now();
    expect(await hasher.verify('x', ['scrypt', 2 ** 22, 8, 1, salt, hash].join('$'))).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('an unknown user is checked against a decoy of the current parameters: false, as long as a real check', async () => {
    expect(await hasher.verifyDecoy('anything at all')).toBe(false);
  });
});

describe('the hashing queue', { timeout: 30_000 }, () => {
  it('runs `concurrency` scrypts at once, `queue` more in turn, and refuses the rest with Retry-After', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 2 });
    await hasher.verifyDecoy('warm up: the decoy is made');
    const stored = await hasher.hash('correct horse battery');
    const attempts = Array.from({ length: 6 }, () => hasher.verify('correct horse battery', stored));
    expect(hasher.depth).toEqual({ running: 1, waiting: 2 });
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([true, true, true]);
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(refused).toHaveLength(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(HashingBusy);
      expect((error as HashingBusy).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    expect(hasher.depth).toEqual({ running: 0, waiting: 0 });
  });
});
