// @needs kafka postgres
/**
 * identity's HTTP API against its own OpenAPI document, on real Kafka and PostgreSQL: every request
 * the contract check generates from the document gets the answer the document declares. The
 * bootstrap administrator is the document's example login (so the example logs in), and its token
 * authorizes the bearer-secured operations; a merchant client's HTTP Basic credentials the token
 * endpoint.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { exampleLogin } from './openapi.ts';
import { inProcessIdentity, json, loginToken, onboardingTopics } from './testing/in-process.ts';

const brokers = inject('kafkaBrokers');
let identity: Awaited<ReturnType<typeof inProcessIdentity>>;
let topics: Awaited<ReturnType<typeof onboardingTopics>>;
let bearer: Record<string, string>;
let basic: Record<string, string>;

beforeAll(async () => {
  topics = await onboardingTopics(brokers);
  identity = await inProcessIdentity(brokers, await freshDatabase(inject('databaseUrl')), {
    BOOTSTRAP_ADMIN_TENANT: exampleLogin.tenantId,
    BOOTSTRAP_ADMIN_EMAIL: exampleLogin.email,
    BOOTSTRAP_ADMIN_PASSWORD: exampleLogin.password,
    // The check sends hundreds of requests from one address, some with wrong passwords on purpose:
    // the limits are tested elsewhere (machine-clients, onboarding), not what this is about.
    LOGIN_ATTEMPTS_PER_ACCOUNT: '100000',
    LOGIN_ATTEMPTS_PER_ADDRESS: '100000',
  });
  const platformToken = await loginToken(identity.app, exampleLogin);
  bearer = { authorization: `Bearer ${platformToken}` };
  const created = await identity.app.request(
    '/api/v1/clients',
    json('POST', { name: 'Contract check', role: 'merchant', merchantId: randomUUID() }, platformToken),
  );
  expect(created.status).toBe(201);
  const client = (await created.json()) as { clientId: string; clientSecret: string };
  basic = { authorization: `Basic ${btoa(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`)}` };
}, 120_000);
afterAll(async () => {
  await Promise.allSettled([identity?.stop(), topics?.stop()]);
});

describe('identity HTTP API against its own OpenAPI document, on real Kafka and PostgreSQL', () => {
  it('answers every request generated from the document as the document says', async () => {
    const document = (await (await fetch(`${identity.url}/openapi.json`)).json()) as object;
    const report = await checkContract(document, identity.url, {
      credentials: (_method, _path, schemes) => (schemes.includes('bearer') ? bearer : schemes.includes('clientBasic') ? basic : {}),
    });
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(50);
  });
});
