import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

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

/** scrypt at N=2^15, r=8, p=1 (OWASP's floor is 2^17 with less memory per hash: this costs ~32 MiB and ~50 ms). */
const params = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const keyLength = 32;

const derive = (password: string, salt: Buffer, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** `scrypt$N$r$p$salt$hash` (base64url), with a fresh 16-byte salt per password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether the password matches the stored hash; compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: params.maxmem });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash of nothing anyone knows: a login for an unknown user is checked against it, so it takes
 * as long as a wrong password for a known one.
 */
export const decoyHash = hashPassword(randomBytes(32).toString('base64url'));
