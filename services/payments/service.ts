/** The payments process: the merchants' API over PostgreSQL, the relay to payments.events, and the settlement step on ledger.events. */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { EventConsumer, eachEventOnce } from '../../lib/consumer/runtime.ts';
import { Inbox } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import type { ServiceContext } from '../../lib/main.ts';
import { startPublisher } from '../../lib/publisher.ts';
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
  const publisher = startPublisher({ name: 'payments', config, log, setup: migrate });
  const { pool, registry, health } = publisher;
  const store = new PaymentStore(pool);
  const consumer = new EventConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    contracts: ledgerEvents,
    log,
    prepare: async () => {
      if (!publisher.migrated()) throw new Error('the database is not migrated yet');
    },
    handle: eachEventOnce(new Inbox({ pool, group: config.KAFKA_GROUP_ID }), (tx, event) =>
      store.applyLedgerOutcome(tx, {
        kind: outcomes.get(event.type) ?? 'failed',
        ...(event.data as { withdrawalId: string; merchantId: string }),
      }),
    ),
  });
  consumer.registerMetrics(registry, 'payments');
  consumer.watch(health, (reason) => exit(1, `the consumer is not live: ${reason}`));
  const app = paymentsApi({ store, maxAmountMinor: config.MAX_AMOUNT_MINOR, registry, health, log });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
    log.info({ port: info.port }, 'payments listening'),
  );
  consumer.start().catch((error: unknown) => exit(1, `the consumer could not run: ${(error as Error).message}`));
  return {
    app,
    async stop() {
      await consumer.stop();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await publisher.stop();
    },
  };
}
