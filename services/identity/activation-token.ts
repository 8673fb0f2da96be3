import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes: unguessable, so a fast hash suffices to store it (the database never holds the token). */
export function newActivationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashActivationToken(token) };
}

export const hashActivationToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Activation tokens look like this; anything else is refused before a database lookup. */
export const activationTokenPattern = /^[A-Za-z0-9_-]{43}$/;
