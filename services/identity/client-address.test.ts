import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress } from './api.ts';

const app = (trustProxy: boolean) => new Hono().get('/', (c) => c.text(clientAddress(c, trustProxy)));
const from = async (trustProxy: boolean, forwarded?: string) =>
  (await app(trustProxy).request('/', forwarded ? { headers: { 'x-forwarded-for': forwarded } } : {})).text();

describe('clientAddress', () => {
  it('ignores X-Forwarded-For unless told a proxy of ours sets it', async () => {
    expect(await from(false, '203.0.113.9')).toBe('unknown');
  });

  it('behind our proxy, takes the address it appended, not what the caller sent before it', async () => {
    expect(await from(true, '198.51.100.1, 203.0.113.9')).toBe('203.0.113.9');
    expect(await from(true)).toBe('unknown');
  });
});
