import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import type { EventConsumer } from './consumer/event-consumer.ts';
import type { Publisher } from './publisher.ts';

/**
 * The running half of a service that serves HTTP, consumes and publishes: the consumer's metrics
 * and liveness (a consumer kafkajs gave up on exits the process, so the kubelet restarts it), the
 * HTTP server, the consumer started, its inbox kept bounded (Publisher.retainInbox); stop() leaves the group after the batch in flight, closes the
 * server, then flushes the relay and closes the pool.
 */
export function serveAndConsume({
  name,
  app,
  port,
  consumer,
  publisher,
  log,
  exit,
}: {
  /** The metrics prefix and the log's word for it. */
  name: string;
  app: Hono;
  port: number;
  consumer: EventConsumer;
  publisher: Publisher;
  log: Logger;
  exit: (code: number, reason: string) => void;
}): { stop: () => Promise<void> } {
  consumer.registerMetrics(publisher.registry, name.replaceAll('-', '_'));
  // The inbox's ids are needed only while their records can come again: past that, deleted.
  if (consumer.inbox) publisher.retainInbox(consumer.inbox);
  consumer.watch(publisher.health, (reason) => exit(1, `the consumer is not live: ${reason}`));
  const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, (info) => log.info({ port: info.port }, `${name} listening`));
  consumer.start().catch((error: unknown) => exit(1, `the consumer could not run: ${(error as Error).message}`));
  return {
    async stop() {
      await consumer.stop();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await publisher.stop();
    },
  };
}
