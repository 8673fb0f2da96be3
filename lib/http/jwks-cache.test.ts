import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedRemoteJwks, KeysUnavailable } from './jwks-cache.ts';

let keys: { kid: string; jwk: JWK; sign: () => Promise<string> }[];

beforeAll(async () => {
  keys = await Promise.all(
    ['k1', 'k2'].map(async (kid) => {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      return {
        kid,
        jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' },
        sign: () => new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid }).setExpirationTime('5m').sign(privateKey),
      };
    }),
  );
});

/** A JWKS endpoint that serves `published` (or fails while `down`), counting its fetches. */
function endpoint() {
  const state = { published: [] as JWK[], down: false, fetches: 0 };
  const get = (async () => {
    state.fetches++;
    if (state.down) throw new TypeError('fetch failed');
    return new Response(JSON.stringify({ keys: state.published }), { status: 200 });
  }) as unknown as typeof fetch;
  return { state, get };
}
const verifyWith = async (getKey: ReturnType<typeof cachedRemoteJwks>, token: string) => {
  const [header] = token.split('.');
  return getKey(JSON.parse(Buffer.from(header as string, 'base64url').toString()), { payload: '', signature: '' } as never);
};

describe('cachedRemoteJwks', () => {
  it('keeps verifying with the keys it knows while identity is down, refreshing in the background', async () => {
    const { state, get } = endpoint();
    let clock = 0;
    state.published = [keys[0]?.jwk as JWK];
    const getKey = cachedRemoteJwks('http://identity/jwks', { fetch: get, now: () => clock, refreshMs: 1_000 });
    await expect(verifyWith(getKey, await (keys[0]?.sign() as Promise<string>))).resolves.toBeDefined();
    state.down = true;
    clock = 60_000;
    await expect(verifyWith(getKey, await (keys[0]?.sign() as Promise<string>))).resolves.toBeDefined();
    expect(state.fetches).toBe(2);
  });

  it('fetches at once for a kid it has not seen (a rotated key), at most once per cooldown', async () => {
    const { state, get } = endpoint();
    let clock = 0;
    state.published = [keys[0]?.jwk as JWK];
    const getKey = cachedRemoteJwks('http://identity/jwks', { fetch: get, now: () => clock, unknownKidCooldownMs: 10_000 });
    await verifyWith(getKey, await (keys[0]?.sign() as Promise<string>));
    state.published = [keys[0]?.jwk as JWK, keys[1]?.jwk as JWK];
    clock = 10_001;
    await expect(verifyWith(getKey, await (keys[1]?.sign() as Promise<string>))).resolves.toBeDefined();
    expect(state.fetches).toBe(2);
    // A forged kid cannot make every request fetch: within the cooldown it is refused from the cache.
    const forged = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'nope' })).toString('base64url')}.e30.sig`;
    await expect(verifyWith(getKey, forged)).rejects.toThrow();
    await expect(verifyWith(getKey, forged)).rejects.toThrow();
    expect(state.fetches).toBe(2);
  });

  it('with no keys yet and identity unreachable: KeysUnavailable, not a refused token', async () => {
    const { state, get } = endpoint();
    state.down = true;
    const getKey = cachedRemoteJwks('http://identity/jwks', { fetch: get });
    await expect(verifyWith(getKey, await (keys[0]?.sign() as Promise<string>))).rejects.toBeInstanceOf(KeysUnavailable);
  });
});
