import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { tokenSource } from './credentials.ts';

const key = new TextEncoder().encode('k'.repeat(32));
const token = (expSeconds: number) => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(expSeconds).sign(key);

describe('tokenSource', () => {
  it('fetches once for concurrent callers, and again a minute before expiry', async () => {
    let clock = 1_000_000;
    let fetches = 0;
    const source = tokenSource(
      async () => {
        fetches++;
        return token(Math.floor(clock / 1000) + 900);
      },
      () => clock,
    );
    const [a, b] = await Promise.all([source(), source()]);
    expect(a).toBe(b);
    expect(fetches).toBe(1);
    clock += 839_000;
    await source();
    expect(fetches).toBe(1);
    clock += 2_000;
    await source();
    expect(fetches).toBe(2);
  });

  it('after a refusal, callers get the same failure until a doubling back-off has passed', async () => {
    let clock = 0;
    let fetches = 0;
    let refuse = true;
    const source = tokenSource(
      async () => {
        fetches++;
        if (refuse) throw new Error('429');
        return token(Math.floor(clock / 1000) + 900);
      },
      () => clock,
    );
    await expect(source()).rejects.toThrow('429');
    for (let i = 0; i < 50; i++) await expect(source()).rejects.toThrow('429');
    expect(fetches).toBe(1);
    clock += 1_001;
    await expect(source()).rejects.toThrow('429');
    expect(fetches).toBe(2);
    clock += 1_001; // the back-off doubled to 2 s
    await expect(source()).rejects.toThrow('429');
    expect(fetches).toBe(2);
    refuse = false;
    clock += 1_000;
    await expect(source()).resolves.toBeTypeOf('string');
    expect(fetches).toBe(3);
  });
});
