/** identity in the test's process, on the real Kafka and PostgreSQL of the test setup, with what its suites share. */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import pino from 'pino';
import { freePort } from '../../../devkit/ports.ts';
import { loadConfig } from '../../../lib/config.ts';
import { kafkaClient } from '../../../lib/kafka.ts';
import { teachersTopic } from '../../teachers/events.ts';
import { openActivation } from '../activation-delivery.ts';
import { identityConfig } from '../config.ts';
import { identityContracts, identityTopic } from '../events.ts';
import { startIdentity } from '../service.ts';

export const bootstrapAdmin = { tenantId: 'platform', email: 'root@eventide.example', password: 'bootstrap-password-1' };

export async function eventually<T>(
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

export const json = (method: string, body: unknown, token?: string) => ({
  method,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
});

export interface Activation {
  userId: string;
  email: string;
  token: string;
}

/**
 * The deliverer of this test file: identity seals activation tokens to its public key, the readers
 * here open them. A key (and kid) per file: identity.events is shared by every suite of the run.
 */
const delivererKeys = generateKeyPairSync('x25519');
const delivererKid = `test-deliverer-${randomUUID()}`;
export const testDeliverer = {
  publicJwk: JSON.stringify({ ...delivererKeys.publicKey.export({ format: 'jwk' }), kid: delivererKid }),
  privateKey: delivererKeys.privateKey,
};

/**
 * An activation request as the deliverer reads it: v2's token opened with the test deliverer's
 * key (v1, in clear, as it is); undefined for one sealed to another suite's key. `record` is the
 * raw value, which must not hold the token.
 */
export async function activationOf(message: {
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}): Promise<(Activation & { expiresAt: string; record: string }) | undefined> {
  const record = message.value?.toString() ?? '{}';
  const data = JSON.parse(record) as { userId: string; email: string; expiresAt: string; token?: string; tokenJwe?: string };
  const type = message.headers?.ce_type?.toString();
  if (type === identityContracts.activationRequestedSealed.type && data.tokenJwe) {
    if (decodeProtectedHeader(data.tokenJwe).kid !== delivererKid) return undefined;
    const { token } = await openActivation(data.tokenJwe, testDeliverer.privateKey, data.userId);
    return { ...data, token, record };
  }
  return { ...data, token: data.token ?? '', record };
}

/**
 * The topics identity uses, and a reader of every activation request on identity.events (what a
 * deliverer would send). stop() disconnects.
 */
export async function onboardingTopics(brokers: string): Promise<{ activations: Activation[]; stop: () => Promise<void> }> {
  const kafka = kafkaClient({ clientId: `identity-test-${randomUUID().slice(0, 8)}`, brokers: brokers.split(',') });
  const admin = kafka.admin();
  await admin.connect();
  const existing = await admin.listTopics();
  await admin.createTopics({
    topics: [teachersTopic, identityTopic]
      .filter((t) => !existing.includes(t))
      .map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  const activations: Activation[] = [];
  const reader = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  await reader.connect();
  await reader.subscribe({ topic: identityTopic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const activation = await activationOf(message);
      if (activation) activations.push(activation);
    },
  });
  return { activations, stop: () => reader.disconnect() };
}

/** identity on a free port (its app for in-process requests), its own consumer group unless `env` names one. */
export async function inProcessIdentity(brokers: string, databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const identity = await startIdentity({
    config: loadConfig('identity', identityConfig, {
      KAFKA_BROKERS: brokers,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      TENANTS: 'school-a,school-b',
      KAFKA_GROUP_ID: `identity-${randomUUID().slice(0, 8)}`,
      BOOTSTRAP_ADMIN_EMAIL: bootstrapAdmin.email,
      BOOTSTRAP_ADMIN_PASSWORD: bootstrapAdmin.password,
      ACTIVATION_DELIVERY_PUBLIC_JWK: testDeliverer.publicJwk,
      ...env,
    }),
    log: pino({ level: 'silent' }),
    exit: (code, reason) => {
      throw new Error(`identity asked to exit ${code}: ${reason}`);
    },
  });
  return { ...identity, url: `http://127.0.0.1:${port}` };
}

/** Logs in once identity is ready; the access token. */
export async function loginToken(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }, credentials: object) {
  const response = await eventually(
    async () => {
      const r = await app.request('/api/v1/auth/login', json('POST', credentials));
      return r.status === 200 && r;
    },
    `a login of ${JSON.stringify({ ...credentials, password: undefined })}`,
  );
  return ((await response.json()) as { accessToken: string }).accessToken;
}
