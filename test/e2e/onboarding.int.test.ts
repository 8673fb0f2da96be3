/**
 * School onboarding end to end on the local platform that `make dev` runs, as a user would do it
 * with curl: the bootstrap administrator from its Secret creates a teacher → identity's user waits
 * for activation → the token arrives on identity.events → activate → login → the JWT verifies
 * against the JWKS → the teacher is deleted → login is refused. Then chaos under ~100 teachers/s:
 * an identity Pod SIGKILLed mid-batch and PostgreSQL restarted, after which every live teacher has
 * exactly one user with one outstanding token, and nothing is dead-lettered. No secret in any log.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, kafkaClient } from '../../lib/kafka.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/local/platform.ts';
import { bootstrapAdmin } from './admin.ts';

let platform: LocalPlatform;
let logDir: string;
let adminToken: string;
let reader: Consumer;
const activations = new Map<string, { token: string; email: string }>();
const secrets: string[] = [];
const json = (method: string, body: unknown, token = adminToken) => ({
  method,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
});
const database = (name: string) =>
  new pg.Pool({ connectionString: Object.assign(new URL(platform.postgres.endpoint), { pathname: `/${name}` }).toString(), max: 2 });

async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let error: unknown;
  while (Date.now() < deadline) {
    const value = await probe().catch((e: unknown) => {
      error = e;
      return undefined;
    });
    if (value !== undefined && value !== false) return value;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${error ? ` (last error: ${(error as Error).message})` : ''}`);
}

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'eventide-onboarding-'));
  platform = await startLocalPlatform({ logDir, examples: false, backoff: { baseMs: 1_000, maxMs: 10_000, resetAfterMs: 60_000 } });
  console.log(`[onboarding] platform up in ${platform.startupSeconds.toFixed(1)} s`);
  const admin = await bootstrapAdmin(platform);
  secrets.push(admin.password);
  adminToken = admin.accessToken;
  secrets.push(adminToken);
  reader = kafkaClient({ clientId: 'onboarding-e2e', brokers: platform.kafka.brokers }).consumer({ groupId: 'onboarding-e2e-reader' });
  await reader.connect();
  await reader.subscribe({ topic: 'identity.events', fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const data = JSON.parse(message.value?.toString() ?? '{}') as { userId: string; token: string; email: string };
      activations.set(data.userId, data);
    },
  });
}, 300_000);

afterAll(async () => {
  await reader?.disconnect();
  await platform?.stop();
}, 120_000);

describe('school onboarding on the local platform', () => {
  it('create a teacher → PendingActivation → token from identity.events → activate → login → JWT verifies → delete → login refused', async () => {
    const email = `grace.${Date.now()}@school.example`;
    const created = await fetch(
      `${platform.teachers.url}/api/v1/teachers`,
      json('POST', { tenantId: 'school-a', fullName: 'Grace Hopper', email, phoneNumber: '+4915199999999' }),
    );
    expect(created.status).toBe(201);
    const teacher = (await created.json()) as { id: string };
    const lookup = `${platform.identity.url}/api/v1/users?tenantId=school-a&email=${encodeURIComponent(email)}`;
    const user = await eventually(async () => {
      const found = (await (await fetch(lookup, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
        items: { id: string; status: string }[];
      };
      return found.items[0];
    }, 'the teacher’s user');
    expect(user.status).toBe('PendingActivation');
    const { token } = await eventually(async () => activations.get(user.id), 'the activation request on identity.events');
    secrets.push(token);

    const password = 'amazing grace 1906';
    const activated = await fetch(`${platform.identity.url}/api/v1/auth/activate`, json('POST', { token, password }));
    expect(activated.status).toBe(204);
    const login = () => fetch(`${platform.identity.url}/api/v1/auth/login`, json('POST', { tenantId: 'school-a', email, password }));
    const loggedIn = await login();
    expect(loggedIn.status).toBe(200);
    const { accessToken } = (await loggedIn.json()) as { accessToken: string };
    secrets.push(accessToken);
    const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${platform.identity.url}/.well-known/jwks.json`)), {
      issuer: 'eventide-identity',
      audience: 'eventide',
    });
    expect(payload).toMatchObject({ sub: user.id, tenant: 'school-a', role: 'teacher' });

    expect(
      (
        await fetch(`${platform.teachers.url}/api/v1/teachers/${teacher.id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).status,
    ).toBe(204);
    await eventually(async () => (await login()).status === 401, 'login refused after the teacher is deleted');
  });
});

describe('a tenant administrator on the local platform', () => {
  it("made by the platform administrator, activated from identity.events, it manages its own school and never sees another's", async () => {
    const email = `head.${Date.now()}@school-b.example`;
    const created = await fetch(`${platform.identity.url}/api/v1/admins`, json('POST', { tenantId: 'school-b', email }));
    expect(created.status).toBe(201);
    const admin = (await created.json()) as { id: string; role: string; status: string };
    expect(admin).toMatchObject({ role: 'admin', status: 'PendingActivation' });
    const { token } = await eventually(async () => activations.get(admin.id), "the administrator's activation on identity.events");
    secrets.push(token);
    const password = 'head of school b 2026';
    expect((await fetch(`${platform.identity.url}/api/v1/auth/activate`, json('POST', { token, password }))).status).toBe(204);
    const login = await fetch(`${platform.identity.url}/api/v1/auth/login`, json('POST', { tenantId: 'school-b', email, password }));
    expect(login.status).toBe(200);
    const schoolB = ((await login.json()) as { accessToken: string }).accessToken;
    secrets.push(schoolB);

    const teacher = (tenantId: string, n: string) => ({
      tenantId,
      fullName: `Teacher ${n}`,
      email: `${n}.${Date.now()}@school.example`,
      phoneNumber: `+49152${String(Date.now() % 10_000_000).padStart(7, '0')}`,
    });
    const own = await fetch(`${platform.teachers.url}/api/v1/teachers`, json('POST', teacher('school-b', 'own'), schoolB));
    expect(own.status).toBe(201);
    const other = await fetch(`${platform.teachers.url}/api/v1/teachers`, json('POST', teacher('school-a', 'other'), adminToken));
    expect(other.status).toBe(201);
    const otherId = ((await other.json()) as { id: string }).id;
    const bearer = { authorization: `Bearer ${schoolB}` };
    expect((await fetch(`${platform.teachers.url}/api/v1/teachers/${otherId}`, { headers: bearer })).status).toBe(404);
    expect(
      (await fetch(`${platform.teachers.url}/api/v1/teachers/${otherId}`, { method: 'DELETE', headers: { ...bearer, 'if-match': '"1"' } }))
        .status,
    ).toBe(404);
    expect((await fetch(`${platform.teachers.url}/api/v1/teachers`, json('POST', teacher('school-a', 'sneaky'), schoolB))).status).toBe(
      422,
    );
    expect((await fetch(`${platform.teachers.url}/api/v1/teachers?tenantId=school-a`, { headers: bearer })).status).toBe(422);
    expect((await fetch(`${platform.identity.url}/api/v1/users?tenantId=school-a&email=x%40y.example`, { headers: bearer })).status).toBe(
      404,
    );
    // Nor may it create administrators, machine clients or merchants: those are the platform's.
    expect(
      (await fetch(`${platform.identity.url}/api/v1/admins`, json('POST', { tenantId: 'school-b', email: 'x@y.example' }, schoolB))).status,
    ).toBe(403);
    expect((await fetch(`${platform.payments.url}/api/v1/merchants`, { headers: bearer })).status).toBe(403);
  });
});

describe('onboarding chaos', () => {
  it('~100 teachers/s, an identity Pod SIGKILLed mid-batch, PostgreSQL restarted: one user and one token per live teacher, no dead letters', async () => {
    const acked: string[] = [];
    const errors: Record<string, number> = {};
    const started = Date.now();
    const inFlight = new Set<Promise<void>>();
    const stamp = Date.now().toString(36);
    let faults = Promise.resolve();
    let victim: { name: string; restarts: number } | undefined;
    for (let i = 0; Date.now() - started < 20_000; i++) {
      const request = fetch(
        `${platform.teachers.url}/api/v1/teachers`,
        json('POST', {
          tenantId: i % 2 ? 'school-a' : 'school-b',
          fullName: `Teacher ${i}`,
          email: `t${i}.${stamp}@school.example`,
          phoneNumber: `+4917${String(i).padStart(9, '0')}`,
        }),
      )
        .then(async (r) => {
          if (r.status === 201) acked.push(((await r.json()) as { id: string }).id);
          else errors[r.status] = (errors[r.status] ?? 0) + 1;
        })
        .catch(() => {
          errors.network = (errors.network ?? 0) + 1;
        });
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
      if (i === 500) {
        victim = platform.agent.pods('identity').find((p) => p.ready);
        if (!victim) throw new Error('no ready identity Pod to kill');
        platform.killPod(victim.name);
        faults = (async () => {
          await sleep(3_000);
          await platform.postgres.stop();
          await sleep(2_000);
          await platform.postgres.start();
        })();
      }
      await sleep(10);
    }
    await faults;
    await Promise.all(inFlight);
    console.log(`[onboarding] chaos: ${acked.length} teachers acknowledged in 20 s, refused ${JSON.stringify(errors)}`);
    expect(acked.length).toBeGreaterThan(500);
    // The killed consumer was restarted by the node agent, not replaced by a scale-up alone.
    await eventually(
      async () => platform.agent.pods('identity').some((p) => p.name === victim?.name && p.restarts > (victim?.restarts ?? 0) && p.ready),
      'the killed identity Pod restarted and Ready',
    );
    expect(Object.keys(errors).filter((k) => k !== '503' && k !== 'network')).toEqual([]);

    const teachersDb = database('teachers');
    const identityDb = database('identity');
    try {
      const check = async () => {
        const live = (await teachersDb.query<{ id: string }>('SELECT id FROM teachers WHERE NOT deleted')).rows.map((r) => r.id);
        const { rows } = await identityDb.query<{ entity_id: string; users: number; outstanding: number }>(
          `SELECT u.entity_id, count(DISTINCT u.id)::int AS users,
                  count(t.token_hash) FILTER (WHERE t.used_at IS NULL AND t.revoked_at IS NULL)::int AS outstanding
           FROM users u LEFT JOIN activation_tokens t ON t.user_id = u.id
           WHERE u.entity_type = 'teacher' AND u.status <> 'Disabled' GROUP BY u.entity_id`,
        );
        const byTeacher = new Map(rows.map((r) => [r.entity_id, r]));
        return {
          live: live.length,
          missing: live.filter((id) => !byTeacher.has(id)).length,
          duplicated: rows.filter((r) => r.users !== 1).length,
          tokens: rows.filter((r) => r.outstanding > 1).length,
          unacked: acked.filter((id) => !byTeacher.has(id)).length,
        };
      };
      const result = await eventually(
        async () => {
          const now = await check();
          return now.missing === 0 && now.unacked === 0 && now;
        },
        'a user for every live teacher',
        120_000,
      ).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}: ${JSON.stringify(await check())}`);
      });
      expect(result).toMatchObject({ missing: 0, duplicated: 0, tokens: 0, unacked: 0 });
      const admin = kafkaClient({ clientId: 'onboarding-dlq', brokers: platform.kafka.brokers }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('identity.dlq');
      await admin.disconnect();
      expect(
        offsets.reduce((n, o) => n + Number(o.high), 0),
        'records in identity.dlq',
      ).toBe(0);
    } finally {
      await Promise.allSettled([teachersDb.end(), identityDb.end()]);
    }
  }, 300_000);

  it('no password, access token or activation token in any Pod log', () => {
    const logs = readdirSync(join(logDir, 'node'))
      .filter((f) => f.endsWith('.log'))
      .map((f) => readFileSync(join(logDir, 'node', f), 'utf8'))
      .join('\n');
    expect(logs).toContain('identity');
    const tokens = [...activations.values()].map((a) => a.token);
    expect(tokens.length).toBeGreaterThan(500);
    for (const secret of [...secrets, ...tokens]) expect(logs.includes(secret), `a secret in the logs: ${secret.slice(0, 6)}…`).toBe(false);
  });
});
