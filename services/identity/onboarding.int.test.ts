// @needs kafka postgres
/**
 * School onboarding on real Kafka and PostgreSQL, both services in this process as their mains
 * start them: an administrator creates a teacher → identity creates the user and sends the
 * activation token through identity.events → the teacher activates and logs in. Then what an
 * attacker or a broken producer would try. The services' logs are kept and searched for secrets.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../devkit/ports.ts';
import { loadConfig } from '../../lib/config.ts';
import { encodeEvent } from '../../lib/contracts.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teachersConfig } from '../teachers/config.ts';
import { teacherContracts, teachersTopic } from '../teachers/events.ts';
import { startTeachers } from '../teachers/service.ts';
import { identityConfig } from './config.ts';
import { identityTopic } from './events.ts';
import { startIdentity } from './service.ts';
import { activationOf, testDeliverer } from './testing/in-process.ts';

const brokers = inject('kafkaBrokers');
const kafka = kafkaClient({ clientId: 'onboarding-test', brokers: brokers.split(',') });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const group = `identity-${randomUUID().slice(0, 8)}`;
const adminCredentials = { tenantId: 'platform', email: 'root@eventide.example', password: 'bootstrap-password-1' };

let logs = '';
const logSink = new Writable({
  write(chunk, _encoding, done) {
    logs += chunk.toString();
    done();
  },
});
const secrets: string[] = [adminCredentials.password];

let identity: Awaited<ReturnType<typeof startIdentity>>;
let teachers: Awaited<ReturnType<typeof startTeachers>>;
let identityUrl: string;
let identityDb: pg.Pool;
let adminToken: string;
/** What the deliverer read (the token opened with its key), and each record as it travelled. */
const activations: { userId: string; token: string; email: string; expiresAt: string; record: string }[] = [];
const deadLetters: { reason?: string; value: string }[] = [];
const consumers: { disconnect: () => Promise<void> }[] = [];
const exit = (code: number, reason: string) => {
  throw new Error(`a service asked to exit ${code}: ${reason}`);
};

async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const json = (method: string, body: unknown, token?: string) => ({
  method,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});
const asAdmin = (method = 'GET') => ({ method, headers: { authorization: `Bearer ${adminToken}` } });
const login = (body: Record<string, unknown>) => identity.app.request('/api/v1/auth/login', json('POST', body));
const activate = (token: string, password: string) => identity.app.request('/api/v1/auth/activate', json('POST', { token, password }));
const usersOf = async (email: string, tenantId = 'school-a') => {
  const response = await identity.app.request(`/api/v1/users?tenantId=${tenantId}&email=${encodeURIComponent(email)}`, asAdmin());
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: { id: string; status: string; role: string; phoneNumber?: string }[] }).items;
};

let sequence = 0;
const newTeacher = (overrides: Record<string, unknown> = {}) => ({
  tenantId: 'school-a',
  fullName: 'Ada Lovelace',
  email: `ada.${++sequence}.${randomUUID().slice(0, 6)}@school.example`,
  phoneNumber: `+49151${String(1_000_000 + sequence).padStart(7, '0')}`,
  ...overrides,
});
async function createTeacher(overrides: Record<string, unknown> = {}) {
  const response = await teachers.app.request('/api/v1/teachers', json('POST', newTeacher(overrides), adminToken));
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; email: string; version: number; tenantId: string; phoneNumber: string };
}
/** A created teacher's user and the token identity sent for them. */
async function onboarded(overrides: Record<string, unknown> = {}) {
  const teacher = await createTeacher(overrides);
  const [user] = await eventually(async () => {
    const found = await usersOf(teacher.email);
    return found.length > 0 && found;
  }, 'the user of a created teacher');
  const activation = await eventually(() => activations.find((a) => a.userId === user?.id), 'the activation request');
  secrets.push(activation.token);
  return { teacher, user: user as { id: string; status: string; role: string }, token: activation.token };
}

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  const existing = await admin.listTopics();
  await admin.createTopics({
    topics: [teachersTopic, identityTopic, `${group}.dlq`]
      .filter((t) => !existing.includes(t))
      .map((topic) => ({ topic, numPartitions: topic.endsWith('.dlq') ? 1 : 3, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  for (const [topic, into] of [
    [
      identityTopic,
      async (m: Parameters<typeof activationOf>[0]) => {
        const activation = await activationOf(m);
        if (activation) activations.push(activation);
      },
    ],
    [
      `${group}.dlq`,
      (m: { value: Buffer | null; headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined> }) =>
        deadLetters.push({ reason: m.headers?.['dlq-reason']?.toString(), value: m.value?.toString() ?? '' }),
    ],
  ] as const) {
    const reader = kafka.consumer({ groupId: `reader-${randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void (await into(message as never)) });
    consumers.push(reader);
  }

  const server = inject('databaseUrl');
  const identityPort = await freePort();
  identityUrl = `http://127.0.0.1:${identityPort}`;
  const identityDatabase = await freshDatabase(server);
  identityDb = new pg.Pool({ connectionString: identityDatabase, max: 2 });
  const identityEnv = {
    KAFKA_BROKERS: brokers,
    DATABASE_URL: identityDatabase,
    PORT: String(identityPort),
    LOG_LEVEL: 'debug',
    TENANTS: 'school-a,school-b',
    KAFKA_GROUP_ID: group,
    BOOTSTRAP_ADMIN_EMAIL: adminCredentials.email,
    BOOTSTRAP_ADMIN_PASSWORD: adminCredentials.password,
    LOGIN_ATTEMPTS_PER_ACCOUNT: '5',
    LOGIN_ATTEMPTS_PER_ADDRESS: '100',
    ACTIVATION_DELIVERY_PUBLIC_JWK: testDeliverer.publicJwk,
  };
  identity = await startIdentity({
    config: loadConfig('identity', identityConfig, identityEnv),
    log: createLogger('identity', 'debug', logSink),
    exit,
  });
  teachers = await startTeachers({
    config: loadConfig('teachers', teachersConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: await freshDatabase(server),
      PORT: String(await freePort()),
      LOG_LEVEL: 'debug',
      TENANTS: 'school-a,school-b',
      IDENTITY_JWKS_URL: `${identityUrl}/.well-known/jwks.json`,
    }),
    log: createLogger('teachers', 'debug', logSink),
    exit,
  });
  const response = await eventually(async () => {
    const r = await login(adminCredentials);
    return r.status === 200 && r;
  }, 'the bootstrap administrator can log in');
  adminToken = ((await response.json()) as { accessToken: string }).accessToken;
  secrets.push(adminToken);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([teachers?.stop(), identity?.stop()]);
  await Promise.allSettled([...consumers.map((c) => c.disconnect()), producer.disconnect(), admin.disconnect(), identityDb?.end()]);
});

describe('school onboarding on real Kafka and PostgreSQL', () => {
  it('a created teacher gets one PendingActivation user; the token activates it once; the JWT verifies against the JWKS', async () => {
    const { teacher, user, token } = await onboarded();
    expect(user).toMatchObject({ role: 'teacher', status: 'PendingActivation' });
    // Only a hash is stored.
    const stored = await identityDb.query('SELECT token_hash FROM activation_tokens WHERE user_id = $1', [user.id]);
    expect(stored.rows.map((r) => r.token_hash)).not.toContain(token);
    expect(JSON.stringify(stored.rows)).not.toContain(token);
    // Whoever reads identity.events or the outbox without the deliverer's key does not see it either.
    const request = activations.find((a) => a.userId === user.id);
    expect(request?.record).toContain('"tokenJwe"');
    expect(request?.record).not.toContain(token);
    const outbox = await identityDb.query('SELECT * FROM outbox');
    expect(outbox.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(outbox.rows)).not.toContain(token);

    expect((await activate(token, 'correct horse battery')).status).toBe(204);
    expect((await activate(token, 'correct horse battery')).status).toBe(400);
    expect((await usersOf(teacher.email))[0]?.status).toBe('Active');

    const response = await login({ tenantId: 'school-a', email: teacher.email, password: 'correct horse battery' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { accessToken, expiresIn } = (await response.json()) as { accessToken: string; expiresIn: number };
    secrets.push(accessToken);
    expect(expiresIn).toBe(900);
    const { payload } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${identityUrl}/.well-known/jwks.json`)), {
      issuer: 'eventide-identity',
      audience: 'eventide',
    });
    expect(payload).toMatchObject({ sub: user.id, tenant: 'school-a', role: 'teacher' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    expect(decodeProtectedHeader(accessToken)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    // Not by phone number: numbers are not unique, so one cannot name an account.
    const byPhone = await login({ tenantId: 'school-a', phoneNumber: teacher.phoneNumber, password: 'correct horse battery' });
    expect(byPhone.status).toBe(400);
    expect(JSON.stringify(await byPhone.json())).toContain('log in with email');
    // A teacher's token is not an administrator's.
    expect(
      (await teachers.app.request('/api/v1/teachers?tenantId=school-a', { headers: { authorization: `Bearer ${accessToken}` } })).status,
    ).toBe(403);
  });

  it('contact details follow the teacher; a deleted teacher can no longer log in, nor activate', async () => {
    const active = await onboarded();
    expect((await activate(active.token, 'a long enough pass')).status).toBe(204);
    const patched = await teachers.app.request(
      `/api/v1/teachers/${active.teacher.id}`,
      json('PATCH', { phoneNumber: '+4930123456789' }, adminToken),
    );
    expect(patched.status).toBe(200);
    await eventually(async () => (await usersOf(active.teacher.email))[0]?.phoneNumber === '+4930123456789', 'the new phone number');
    expect((await teachers.app.request(`/api/v1/teachers/${active.teacher.id}`, asAdmin('DELETE'))).status).toBe(204);
    await eventually(async () => (await usersOf(active.teacher.email))[0]?.status === 'Disabled', 'the user disabled');
    const refused = await login({ tenantId: 'school-a', email: active.teacher.email, password: 'a long enough pass' });
    expect(refused.status).toBe(401);

    const pending = await onboarded();
    expect((await teachers.app.request(`/api/v1/teachers/${pending.teacher.id}`, asAdmin('DELETE'))).status).toBe(204);
    await eventually(async () => (await usersOf(pending.teacher.email))[0]?.status === 'Disabled', 'the pending user disabled');
    expect((await activate(pending.token, 'a long enough pass')).status).toBe(400);
  });

  it('a new e-mail of a teacher still waiting for activation revokes the token sent to the old one and sends a new one', async () => {
    const { teacher, user, token } = await onboarded();
    const email = `moved.${randomUUID().slice(0, 6)}@school.example`;
    expect((await teachers.app.request(`/api/v1/teachers/${teacher.id}`, json('PATCH', { email }, adminToken))).status).toBe(200);
    const renewed = await eventually(() => activations.filter((a) => a.userId === user.id)[1], 'a second activation request');
    secrets.push(renewed.token);
    expect(renewed.email).toBe(email);
    expect((await activate(token, 'a long enough pass')).status).toBe(400);
    expect((await activate(renewed.token, 'a long enough pass')).status).toBe(204);
    expect((await login({ tenantId: 'school-a', email, password: 'a long enough pass' })).status).toBe(200);
  });

  it('a redelivered change has no second effect: one user, one outstanding token', async () => {
    const { teacher, user } = await onboarded();
    const record = encodeEvent(
      teacherContracts.created,
      { ...teacher, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() } as never,
      {
        id: randomUUID(),
      },
    );
    // The same change twice more (one id: an at-least-once redelivery), and a stale copy under a new id.
    await producer.send({ topic: teachersTopic, acks: -1, messages: [record, record] });
    const marker = await createTeacher();
    await eventually(async () => (await usersOf(marker.email)).length === 1, 'a later teacher processed');
    expect(await usersOf(teacher.email)).toHaveLength(1);
    const tokens = await identityDb.query(
      'SELECT count(*)::int AS outstanding FROM activation_tokens WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL',
      [user.id],
    );
    expect(tokens.rows[0].outstanding).toBe(1);
    expect(activations.filter((a) => a.userId === user.id)).toHaveLength(1);
  });

  it('an event of an unknown tenant, or one that is not an event, goes to the dead-letter topic with the reason', async () => {
    const stranger = {
      ...newTeacher({ tenantId: 'school-z' }),
      id: randomUUID(),
      version: 1,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    await producer.send({
      topic: teachersTopic,
      acks: -1,
      messages: [encodeEvent(teacherContracts.created, stranger), { key: 'x', value: '{not json', headers: { ce_type: 'nonsense' } }],
    });
    await eventually(() => deadLetters.length >= 2, 'two dead letters', 60_000);
    expect(deadLetters.map((d) => d.reason).join('\n')).toContain('unknown tenant "school-z"');
    expect(await usersOf(stranger.email, 'school-z')).toHaveLength(0);
  });

  it('an expired or malformed token, and a weak password, are refused without using the token up', async () => {
    const { teacher, user, token } = await onboarded();
    expect((await activate(token, 'short')).status).toBe(422);
    expect((await activate(token, teacher.email)).status).toBe(422);
    expect((await activate('not-a-token', 'a long enough pass')).status).toBe(400);
    await identityDb.query("UPDATE activation_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1", [user.id]);
    const expired = await activate(token, 'a long enough pass');
    expect(expired.status).toBe(400);
    expect(expired.headers.get('content-type')).toBe('application/problem+json');
  });

  it('an unknown user and a wrong password get the same 401, in similar time', async () => {
    const { teacher, token } = await onboarded();
    expect((await activate(token, 'the right password')).status).toBe(204);
    const timed = async (body: Record<string, unknown>) => {
      const started = performance.now();
      const response = await login(body);
      return { ms: performance.now() - started, status: response.status, body: await response.json() };
    };
    const wrong: Awaited<ReturnType<typeof timed>>[] = [];
    const unknown: Awaited<ReturnType<typeof timed>>[] = [];
    for (let i = 0; i < 4; i++) {
      wrong.push(await timed({ tenantId: 'school-a', email: teacher.email, password: `the wrong password ${i}` }));
      unknown.push(await timed({ tenantId: 'school-a', email: `nobody-${i}@school.example`, password: 'the wrong password' }));
    }
    for (const r of [...wrong, ...unknown]) expect(r.status).toBe(401);
    const strip = (b: unknown) => ({ ...(b as object), instance: undefined });
    expect(strip(unknown[0]?.body)).toEqual(strip(wrong[0]?.body));
    const median = (rs: { ms: number }[]) => rs.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(rs.length / 2)] ?? 0;
    const ratio = median(unknown) / median(wrong);
    console.log(
      `[onboarding] login refusal median: unknown user ${median(unknown).toFixed(1)} ms, wrong password ${median(wrong).toFixed(1)} ms`,
    );
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('login is limited per account: 429 with Retry-After, and the right password waits too', async () => {
    const { teacher, token } = await onboarded();
    expect((await activate(token, 'the right password')).status).toBe(204);
    for (let i = 0; i < 5; i++)
      expect((await login({ tenantId: 'school-a', email: teacher.email, password: 'wrong password!' })).status).toBe(401);
    const limited = await login({ tenantId: 'school-a', email: teacher.email, password: 'the right password' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('login and activation are limited per client address', async () => {
    let status = 0;
    for (let i = 0; i < 250 && status !== 429; i++) {
      const response = await fetch(
        `${identityUrl}/api/v1/auth/login`,
        json('POST', { tenantId: 'school-a', email: `guess-${i}@school.example`, password: 'x' }),
      );
      status = response.status;
      if (status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(status).toBe(429);
    // Guessing activation tokens from the same address draws on the same budget.
    const guess = await fetch(
      `${identityUrl}/api/v1/auth/activate`,
      json('POST', { token: 'A'.repeat(43), password: 'a long enough pass' }),
    );
    expect(guess.status).toBe(429);
  }, 120_000);

  it('the teachers API: 401 without a token, 404/409/412/422 problems for bad requests', async () => {
    expect((await teachers.app.request('/api/v1/teachers?tenantId=school-a')).status).toBe(401);
    const problem = async (response: Response, status: number) => {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    };
    const teacher = await createTeacher();
    await problem(
      await teachers.app.request('/api/v1/teachers', json('POST', newTeacher({ email: teacher.email.toUpperCase() }), adminToken)),
      409,
    );
    await problem(await teachers.app.request('/api/v1/teachers', json('POST', newTeacher({ tenantId: 'school-z' }), adminToken)), 422);
    await problem(await teachers.app.request('/api/v1/teachers', json('POST', { ...newTeacher(), phoneNumber: '12' }, adminToken)), 400);
    await problem(await teachers.app.request(`/api/v1/teachers/${randomUUID()}`, asAdmin()), 404);
    await problem(await teachers.app.request('/api/v1/teachers/not-a-uuid', asAdmin()), 404);
    await problem(
      await teachers.app.request(`/api/v1/teachers/${teacher.id}`, {
        ...json('PATCH', { fullName: 'Ada King' }, adminToken),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'if-match': '"7"' },
      }),
      412,
    );
    // The same address in another school is another teacher.
    expect(
      (await teachers.app.request('/api/v1/teachers', json('POST', newTeacher({ email: teacher.email, tenantId: 'school-b' }), adminToken)))
        .status,
    ).toBe(201);
    // Listing pages through a tenant's teachers.
    const first = (await (await teachers.app.request('/api/v1/teachers?tenantId=school-a&limit=2', asAdmin())).json()) as {
      items: unknown[];
      nextCursor?: string;
    };
    expect(first.items).toHaveLength(2);
    const second = await teachers.app.request(`/api/v1/teachers?tenantId=school-a&limit=2&cursor=${first.nextCursor}`, asAdmin());
    expect(second.status).toBe(200);
  });

  it('no password, hash or token appears in any log line', async () => {
    expect(logs.length).toBeGreaterThan(0);
    const hashes = (await identityDb.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE password_hash IS NOT NULL'))
      .rows;
    for (const secret of [...secrets, 'correct horse battery', 'the right password', ...hashes.map((h) => h.password_hash)])
      expect(logs.includes(secret), `a secret in the logs: ${secret.slice(0, 6)}…`).toBe(false);
  });
});
