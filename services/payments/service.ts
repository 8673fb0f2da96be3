/** The payments process: the merchants' API over PostgreSQL, the relay to payments.events, and the settlement step on ledger.events. */
import type { Hono } from 'hono';
import type { z } from 'zod';
import { eachEventOnce } from '../../lib/consumer/each-batch.ts';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { serveAndConsume } from '../../lib/consuming-service.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { Inbox } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { startPublisher } from '../../lib/publisher.ts';
import { idempotencyKeysRetention } from '../../lib/retention.ts';
import type { ServiceContext } from '../../lib/run-service.ts';
import { ledgerContracts, ledgerEvents } from '../ledger/events.ts';
import { paymentsApi } from './api.ts';
import type { paymentsConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { PaymentStore } from './store.ts';

const outcomes = new Map(Object.entries(ledgerContracts).map(([kind, c]) => [c.type, kind as 'approved' | 'rejected' | 'failed']));

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startPayments({
  config,
  log,
  exit,
}: ServiceContext<z.infer<typeof paymentsConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  const publisher = startPublisher({
    name: 'payments',
    config,
    log,
    setup: migrate,
    retention: [idempotencyKeysRetention(config.IDEMPOTENCY_KEY_TTL_HOURS)],
  });
  const { pool, registry, health } = publisher;
  const store = new PaymentStore(pool, publisher.outbox);
  const consumer = new EventConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    contracts: ledgerEvents,
    log,
    prepare: publisher.requireSetUp,
    handle: eachEventOnce(new Inbox({ pool, group: config.KAFKA_GROUP_ID }), (tx, event) =>
      // The event's type says what happened: a `kind` inside its data cannot override it.
      store.applyLedgerOutcome(tx, {
        ...(event.data as { withdrawalId: string; merchantId: string; reason?: string; settleBy?: string }),
        kind: outcomes.get(event.type) ?? 'failed',
      }),
    ),
  });
  const app = paymentsApi({
    store,
    verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL),
    maxAmountMinor: config.MAX_AMOUNT_MINOR,
    registry,
    health,
    log,
  });
  const running = serveAndConsume({ name: 'payments', app, port: config.PORT, consumer, publisher, log, exit });
  return { app, stop: running.stop };
}
