/** The ledger's process: the double-entry journal from payments.events (exactly once), the withdrawal saga's steps, and its read API. */
import type { Hono } from 'hono';
import type { z } from 'zod';
import { eachBatchOnce } from '../../lib/consumer/each-batch.ts';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { serveAndConsume } from '../../lib/consuming-service.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { Inbox } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { startPublisher } from '../../lib/publisher.ts';
import type { ServiceContext } from '../../lib/run-service.ts';
import { paymentEvents } from '../payments/events.ts';
import { ledgerApi } from './api.ts';
import type { ledgerConfig } from './config.ts';
import { Ledger } from './ledger.ts';
import { migrate } from './migrations.ts';

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startLedger({
  config,
  log,
  exit,
}: ServiceContext<z.infer<typeof ledgerConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  const publisher = startPublisher({ name: 'ledger', config, log, setup: migrate });
  const { pool, registry, health } = publisher;
  const ledger = new Ledger({ settlementWindowMs: config.SETTLEMENT_WINDOW_SECONDS * 1000, outbox: publisher.outbox });
  const inbox = new Inbox({ pool, group: config.KAFKA_GROUP_ID });
  const consumer = new EventConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    contracts: paymentEvents,
    log,
    maxRecordsPerSecond: config.MAX_RECORDS_PER_SECOND || undefined,
    prepare: publisher.requireSetUp,
    handle: eachBatchOnce(inbox, (tx, events) => ledger.applyBatch(tx, events)),
  });
  const app = ledgerApi({ db: pool, verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL), registry, health, log });
  const running = serveAndConsume({ name: 'ledger', app, port: config.PORT, consumer, publisher, log, exit });
  return { app, stop: running.stop };
}
