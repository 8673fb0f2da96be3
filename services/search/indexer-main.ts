/** search-indexer: the Kafka consumer the operator scales; health and metrics on PORT. */
import { Registry } from 'prom-client';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { Health, startHealthServer } from '../../lib/health.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { runService } from '../../lib/run-service.ts';
import { catalogEvents } from '../catalog/events.ts';
import { indexerConfig } from './config.ts';
import { elasticsearchClient } from './elasticsearch.ts';
import { ensureIndex } from './index-admin.ts';
import { indexChanges, notACatalogChange } from './indexer.ts';

await runService({
  name: 'search-indexer',
  config: indexerConfig,
  async start({ config, log, exit }) {
    // Bounded requests: a frozen Elasticsearch fails a bulk after 30 s (then it is retried with
    // backoff) instead of holding the batch, and with it the partition, for as long as it lasts.
    const es = elasticsearchClient(config, { requestTimeout: 30_000, maxRetries: 2 });
    const index = config.ELASTICSEARCH_INDEX;
    const indexer = new EventConsumer({
      brokers: config.KAFKA_BROKERS,
      security: kafkaSecurity(config),
      groupId: config.KAFKA_GROUP_ID,
      topic: config.KAFKA_TOPIC,
      contracts: catalogEvents,
      log,
      unprocessable: notACatalogChange,
      retry: { maxAttempts: config.MAX_ATTEMPTS },
      maxRecordsPerSecond: config.MAX_RECORDS_PER_SECOND || undefined,
      prepare: () => ensureIndex(es, index),
      handle: indexChanges(es, index),
    });
    const registry = new Registry();
    indexer.registerMetrics(registry, 'search_indexer');
    const health = new Health();
    // Never alive and idle: a consumer out of its group or stuck for too long exits non-zero, and
    // its supervisor (the kubelet, or local mode's) starts a fresh one that joins the group.
    indexer.watch(health, (reason) => exit(1, `the consumer is not live (${reason}); exiting so that it is replaced`));
    const server = await startHealthServer({ port: config.PORT, health, registry });
    // Started in the background: waiting for dependencies is "not ready", and SIGTERM must not wait for it.
    indexer.start().then(
      () => log.info({ group: config.KAFKA_GROUP_ID, topic: config.KAFKA_TOPIC }, 'indexing'),
      (error: unknown) => exit(1, `the consumer could not run: ${(error as Error).message}`),
    );
    return {
      async stop() {
        log.info('leaving the group after the batch in flight');
        await indexer.stop();
        await server.close();
      },
    };
  },
});
