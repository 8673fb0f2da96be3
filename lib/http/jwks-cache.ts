/**
 * identity's key set as a verifier holds it: fetched once, then refreshed in the background while
 * the keys already known keep verifying — so identity being slow or down costs no request that a
 * known key can answer. A token with a `kid` the set does not hold (a key just rotated in) fetches
 * at once, at most every `unknownKidCooldownMs`. Only with no keys at all does a request wait for
 * identity, and then it fails as KeysUnavailable (503, retry), never as a refused token.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** The key set could not be fetched and none is known: says nothing about the token. */
export class KeysUnavailable extends Error {}

export interface JwksCacheOptions {
  /** Refresh in the background when the set is older than this. Default 60 s. */
  refreshMs?: number;
  /** An unknown kid fetches at most this often. Default 10 s. */
  unknownKidCooldownMs?: number;
  /** One fetch's limit. Default 3 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export function cachedRemoteJwks(url: string, options: JwksCacheOptions = {}): JWTVerifyGetKey {
  const { refreshMs = 60_000, unknownKidCooldownMs = 10_000, timeoutMs = 3_000, fetch: get = fetch, now = Date.now } = options;
  let keys: { verify: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    pending ??= (async () => {
      lastAttempt = now();
      try {
        const response = await get(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
        if (!response.ok) throw new KeysUnavailable(`the key set answered ${response.status}`);
        const set = (await response.json()) as JSONWebKeySet;
        if (!Array.isArray(set?.keys)) throw new KeysUnavailable('the key set holds no keys array');
        keys = { verify: createLocalJWKSet(set), fetchedAt: now() };
      } catch (error) {
        throw error instanceof KeysUnavailable ? error : new KeysUnavailable(`the key set cannot be fetched: ${(error as Error).message}`);
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  return async (header, token) => {
    if (!keys) await refresh();
    const known = keys as NonNullable<typeof keys>;
    if (now() - known.fetchedAt > refreshMs && now() - lastAttempt > unknownKidCooldownMs) void refresh().catch(() => undefined);
    try {
      return await known.verify(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - lastAttempt < unknownKidCooldownMs) throw error;
      await refresh().catch(() => undefined);
      return (keys ?? known).verify(header, token);
    }
  };
}
