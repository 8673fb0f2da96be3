// @needs kafka postgres
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../devkit/ports.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { loadConfig } from '../../lib/config.ts';
import { encodeEvent } from '../../lib/contracts.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { paymentContracts } from '../payments/events.ts';
import { ledgerConfig } from './config.ts';
import { exampleMerchantId } from './openapi.ts';
import { startLedger } from './service.ts';

const brokers = inject('kafkaBrokers');
const kafka = kafkaClient({ clientId: 'ledger-contract-test', brokers: brokers.split(',') });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const suffix = randomUUID().slice(0, 8);
/** The ledger's own input topic and group, so no other suite's payments reach these books, nor these theirs. */
const topic = `payments.events.contract-${suffix}`;
const group = `ledger-contract-${suffix}`;

let ledger: Awaited<ReturnType<typeof startLedger>>;
let baseUrl: string;
let issuer: TokenIssuer;
let platformAdmin: Record<string, string>;
let merchant: Record<string, string>;

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 3, replicationFactor: 1 },
      { topic: `${group}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  issuer = await startTokenIssuer();
  platformAdmin = await issuer.bearer(principals.platformAdmin());
  merchant = await issuer.bearer(principals.merchant(exampleMerchantId));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  ledger = await startLedger({
    config: loadConfig('ledger', ledgerConfig, {
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: group,
      DATABASE_URL: await freshDatabase(inject('databaseUrl')),
      PORT: String(port),
      IDENTITY_JWKS_URL: issuer.jwksUrl,
    }),
    log: createLogger('ledger', 'warn'),
    exit: (code, reason) => {
      throw new Error(`the ledger asked to exit ${code}: ${reason}`);
    },
  });
  await eventually(async () => (await fetch(`${baseUrl}/readyz`)).status === 200, 'the ledger ready');
  // Books for the document's example merchant, through the ledger's real input: two completed payments.
  const completed = [2_500, 1_000].map((amountMinor) =>
    encodeEvent(paymentContracts.paymentCompleted, {
      paymentId: randomUUID(),
      merchantId: exampleMerchantId,
      amountMinor,
      currency: 'EUR',
    }),
  );
  await producer.send({ topic, acks: -1, messages: completed });
  await eventually(async () => {
    const response = await fetch(`${baseUrl}/api/v1/merchants/${exampleMerchantId}/balance`, { headers: platformAdmin });
    return response.status === 200 && ((await response.json()) as { availableMinor: number }).availableMinor === 3_500;
  }, 'the payments credited');
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([ledger?.stop()]);
  await Promise.allSettled([producer.disconnect(), admin.disconnect(), issuer?.stop()]);
});

describe('ledger HTTP API against its own OpenAPI document, on real Kafka and PostgreSQL', () => {
  // The two callers the document names: a platform administrator, and the merchant itself (its token bound to the example merchant).
  // Two GET operations make about two dozen requests per caller: the checker has no more to vary.
  it.each([
    ['a platform-admin', () => platformAdmin],
    ['the merchant itself', () => merchant],
  ])('answers every request generated from the document as the document says, as %s', async (_, caller) => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as object;
    const credentials = caller();
    const report = await checkContract(document, baseUrl, { credentials: () => credentials });
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(20);
  });
});
