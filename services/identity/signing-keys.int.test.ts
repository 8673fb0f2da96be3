// @needs postgres
/**
 * The key ring on a real PostgreSQL, two rings standing for two replicas: they create one key
 * between them, sign with the same one and publish the same set; a rotation publishes the next
 * key before it signs, and keeps the old one until its last token has expired. Time is moved by
 * moving the stored keys' times back, as the database's clock is the one the rings read.
 */
import { createLocalJWKSet, decodeProtectedHeader } from 'jose';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Principal } from '../../lib/authorization.ts';
import { jwtVerifier } from '../../lib/http/bearer.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { migrate } from './migrations.ts';
import { KeyRing, publishLeadMs } from './signing-keys.ts';

const day = 24 * 3600_000;
const teacher: Principal = { sub: '6d1f7a9e-2b3c-4d5e-8f90-1a2b3c4d5e6f', role: 'teacher', tenant: 'school-a', scopes: [] };
let pool: pg.Pool;
let a: KeyRing;
let b: KeyRing;

const kidOf = async (ring: KeyRing) => decodeProtectedHeader(await ring.sign(teacher)).kid;
const published = (ring: KeyRing) => ring.jwks().keys.map((k) => k.kid);
const stored = async () =>
  (await pool.query<{ kid: string }>('SELECT kid FROM signing_keys ORDER BY activates_at, created_at')).rows.map((r) => r.kid);
/** Moves every stored key's times `ms` into the past: as if that much time went by. */
const age = (ms: number) =>
  pool.query(
    "UPDATE signing_keys SET created_at = created_at - $1 * interval '1 millisecond', activates_at = activates_at - $1 * interval '1 millisecond'",
    [ms],
  );

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 4 });
  await migrate(pool);
  a = new KeyRing({ pool, rotateAfterMs: day });
  b = new KeyRing({ pool, rotateAfterMs: day });
});
afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await pool?.end();
});

describe('signing keys shared by replicas', () => {
  it('two replicas starting at once create one key, sign with it and publish it', async () => {
    await Promise.all([a.start(pino({ level: 'silent' })), b.start(pino({ level: 'silent' }))]);
    const [only] = await stored();
    expect(await stored()).toHaveLength(1);
    expect(await kidOf(a)).toBe(only);
    expect(await kidOf(b)).toBe(only);
    expect(published(a)).toEqual([only]);
    // A token of one replica verifies with the other's keys, and carries the principal's claims.
    expect(await jwtVerifier(b.verificationKeys)(await a.sign(teacher))).toEqual(teacher);
  });

  it('rotates: the next key is published before it signs, and the old one stays until its tokens have expired', async () => {
    const [first] = await stored();
    const oldToken = await a.sign(teacher);
    await age(day);
    await Promise.all([a.refresh(), b.refresh()]);
    const [, next] = await stored();
    expect(await stored()).toHaveLength(2);
    // Published now, signing only after the lead: verifiers' cached key sets will hold it.
    expect(published(a)).toEqual([next, first]);
    expect(published(b)).toEqual([next, first]);
    expect(await kidOf(a)).toBe(first);

    await age(publishLeadMs);
    await Promise.all([a.refresh(), b.refresh()]);
    expect(await kidOf(a)).toBe(next);
    expect(await kidOf(b)).toBe(next);
    expect(published(b)).toEqual([next, first]);
    // A token the old key signed still verifies, with the JWKS as it is served.
    expect(await jwtVerifier(createLocalJWKSet(b.jwks()))(oldToken)).toEqual(teacher);

    // 15 minutes after the next key took over, no live token can name the old one: it goes.
    await age(15 * 60_000);
    await a.refresh();
    expect(await stored()).toEqual([next]);
    await b.refresh();
    expect(published(b)).toEqual([next]);
    await expect(jwtVerifier(b.verificationKeys)(oldToken)).rejects.toMatchObject({ problem: { status: 401 } });
  });
});
