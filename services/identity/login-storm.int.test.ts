// @needs kafka postgres
/**
 * identity under a login storm, as its own Node process with the heap flag its chart gives it: 50
 * logins at once (unknown users and wrong passwords, each one scrypt of 64 MiB) must leave it alive,
 * answering every one with 401, 429 or 503 + Retry-After (never a crash, a 500 or a hang), and its
 * peak resident memory (VmHWM, what a cgroup's OOM killer would have counted) under the memory
 * limit its Deployment has in the charts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { freePort } from '../../devkit/ports.ts';
import { type Launched, launchProgram, logTail, waitUntilReady } from '../../devkit/process.ts';
import { repoRoot } from '../../shared/versions.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { bootstrapAdmin, json, onboardingTopics, testDeliverer } from './testing/in-process.ts';

/** V8's old space for identity unless its chart says otherwise: with one 64 MiB scrypt at a time, Node's heap must stay well inside the rest. */
const heapFlag = '--max-old-space-size=96';
const mib = 2 ** 20;

interface KubeObject {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  spec?: { template: { spec: { containers: { name: string; resources: { limits: { memory: string } } }[] } } };
}

/** identity's objects in a profile's committed chart. */
const chartObjects = (profile: string) =>
  parseAllDocuments(readFileSync(join(repoRoot, 'charts', profile, '10-platform.yaml'), 'utf8'))
    .map((d) => d.toJS() as KubeObject)
    .filter((o) => o?.metadata?.name === 'identity');

/** The smallest memory limit identity's container has in any profile's chart. */
function chartMemoryLimitBytes(): number {
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9, '': 1 };
  const limits = ['kind', 'production'].flatMap((profile) =>
    chartObjects(profile)
      .filter((o) => o.kind === 'Deployment')
      .flatMap((o) => o.spec?.template.spec.containers ?? [])
      .filter((c) => c.name === 'identity')
      .map((c) => {
        const [, amount, unit = ''] = /^(\d+)([KMG]i?)?$/.exec(c.resources.limits.memory) ?? [];
        return Number(amount) * (units[unit] ?? Number.NaN);
      }),
  );
  expect(limits.length).toBeGreaterThan(0);
  return Math.min(...limits);
}

/** What the production chart's ConfigMap sets of Node's heap and the hashing limits: the process runs with the same. */
function chartSettings(): Record<string, string> {
  const data = chartObjects('production').find((o) => o.kind === 'ConfigMap')?.data ?? {};
  const names = ['NODE_OPTIONS', 'PASSWORD_HASH_CONCURRENCY', 'PASSWORD_HASH_QUEUE'];
  return { NODE_OPTIONS: heapFlag, ...Object.fromEntries(Object.entries(data).filter(([name]) => names.includes(name))) };
}

/** A field of /proc/<pid>/status in bytes (VmRSS now, VmHWM the peak). */
const memory = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return Number(line?.[1]) * 1024;
};

const brokers = inject('kafkaBrokers');
let identity: Launched;
let url = '';
let topics: Awaited<ReturnType<typeof onboardingTopics>>;
const login = (body: object) => fetch(`${url}/api/v1/auth/login`, { ...json('POST', body), signal: AbortSignal.timeout(60_000) });

beforeAll(async () => {
  topics = await onboardingTopics(brokers);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  identity = launchProgram('services/identity/main.ts', {
    name: 'identity-storm',
    logDir: mkdtempSync(join(tmpdir(), 'eventide-identity-storm-')),
    env: {
      ...chartSettings(),
      KAFKA_BROKERS: brokers,
      DATABASE_URL: await freshDatabase(inject('databaseUrl')),
      PORT: String(port),
      TENANTS: 'school-a,school-b',
      KAFKA_GROUP_ID: `identity-storm-${port}`,
      BOOTSTRAP_ADMIN_EMAIL: bootstrapAdmin.email,
      BOOTSTRAP_ADMIN_PASSWORD: bootstrapAdmin.password,
      ACTIVATION_DELIVERY_PUBLIC_JWK: testDeliverer.publicJwk,
      LOG_LEVEL: 'info',
      OTEL_SDK_DISABLED: 'true',
    },
  });
  await waitUntilReady(identity, async () => (await fetch(`${url}/readyz`)).ok && (await login(bootstrapAdmin)).status === 200, {
    timeoutMs: 90_000,
    what: 'ready, its bootstrap administrator able to log in',
  });
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([identity?.stop(), topics?.stop()]);
});

describe('identity under a login storm, as its own process', () => {
  it('50 logins at once: alive, every answer 401, 429 or 503 with Retry-After, peak RSS under the chart limit', async () => {
    const limit = chartMemoryLimitBytes();
    const before = memory(identity.pid, 'VmRSS');
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const body =
          i % 2 === 0
            ? { tenantId: 'platform', email: bootstrapAdmin.email, password: `a wrong password ${i}` }
            : { tenantId: 'school-a', email: `nobody-${i}@school.example`, password: 'a wrong password' };
        const sent = performance.now();
        const response = await login(body).catch((error: Error) => ({ status: 0, error, headers: new Headers() }) as const);
        return { status: response.status, retryAfter: response.headers.get('retry-after'), ms: performance.now() - sent };
      }),
    );
    const elapsed = performance.now() - started;
    const peak = memory(identity.pid, 'VmHWM');
    const count = (status: number) => answers.filter((a) => a.status === status).length;
    const refused = answers.filter((a) => a.status === 401).map((a) => a.ms);
    console.log(
      `[login-storm] ${JSON.stringify(chartSettings())}: ${answers.length} logins in ${(elapsed / 1000).toFixed(1)} s: 401 ×${count(401)}, 429 ×${count(429)}, 503 ×${count(503)}; ` +
        `RSS before ${(before / mib).toFixed(0)} MiB, peak (VmHWM) ${(peak / mib).toFixed(0)} MiB of the chart's ${(limit / mib).toFixed(0)} MiB; ` +
        `slowest 401 ${(Math.max(...refused) / 1000).toFixed(1)} s`,
    );

    expect(identity.hasExited(), `identity died; its log:\n${logTail(identity.logFile)}`).toBe(false);
    for (const answer of answers) expect([401, 429, 503]).toContain(answer.status);
    // Hashes really ran (some 401s); the account limit spoke (429s) and the queue's bound too (503s).
    expect(count(401)).toBeGreaterThan(0);
    expect(count(429)).toBeGreaterThan(0);
    expect(count(503)).toBeGreaterThan(0);
    for (const answer of answers.filter((a) => a.status === 503 || a.status === 429))
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThan(limit);

    // And it still serves: the probes, and a login that waits for nobody.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await login({ tenantId: 'school-a', email: 'after-the-storm@school.example', password: 'a wrong password' })).status).toBe(401);
  });
});
