import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { EventConsumer, type Rejection } from '../../lib/consumer/event-consumer.ts';
import type { LivenessLimits } from '../../lib/consumer/liveness.ts';
import type { KafkaSecurity } from '../../lib/kafka.ts';
import { catalogEvents, changeOf } from '../catalog/events.ts';
import { bulkAction, outcome } from './bulk.ts';
import { ensureIndex } from './index-admin.ts';
import { indexName } from './index-definition.ts';

export interface IndexerOptions {
  brokers: string[];
  /** TLS and SASL for the listener (kafkaSecurity(config)); default none. */
  security?: KafkaSecurity;
  groupId: string;
  topic: string;
  es: Client;
  log: Logger;
  index?: string;
  /** Attempts before a change that cannot be indexed goes to the dead-letter topic; default 3. */
  maxAttempts?: number;
  /** Caps documents per second for this process; unlimited when absent. */
  maxDocsPerSecond?: number;
  /** When the consumer counts as dead (see lib/consumer/liveness.ts); defaults there. */
  liveness?: LivenessLimits;
}

/** Elasticsearch did not take a batch (down, frozen or overloaded): retry it, do not dead-letter. */
class ElasticsearchUnavailable extends Error {}

/**
 * Catalog changes into Elasticsearch: an Elasticsearch handler on the consumer runtime. One bulk
 * request per batch, versioned externally so replays and stale changes never make a document
 * older; the runtime commits only after Elasticsearch accepted the batch.
 */
export class Indexer extends EventConsumer {
  constructor({ es, index = indexName, maxAttempts, maxDocsPerSecond, ...options }: IndexerOptions) {
    super({
      ...options,
      contracts: catalogEvents,
      unprocessable: 'not a catalog change',
      retry: maxAttempts === undefined ? undefined : { maxAttempts },
      maxRecordsPerSecond: maxDocsPerSecond,
      prepare: () => ensureIndex(es, index),
      async handle(events) {
        const changes: ({ change: ReturnType<typeof changeOf> } | Rejection)[] = events.map((event) => {
          try {
            return { change: changeOf(event) };
          } catch (error) {
            return { reject: `not a catalog change: ${(error as Error).message}` };
          }
        });
        const valid = changes.flatMap((c) => ('change' in c ? [c.change] : []));
        if (valid.length === 0) return changes.map((c) => ('reject' in c ? c : undefined));
        let items: { status: number; error?: { type?: string; reason?: string } }[];
        try {
          const response = await es.bulk({ operations: valid.flatMap((change) => bulkAction(change, index)) });
          items = response.items.map((item) => Object.values(item)[0] as { status: number; error?: { type?: string; reason?: string } });
        } catch (error) {
          throw new ElasticsearchUnavailable(`Elasticsearch did not take the batch: ${(error as Error).message}`);
        }
        let next = 0;
        return changes.map((c) => {
          if ('reject' in c) return c;
          const result = outcome(items[next++] ?? { status: 500 }, c.change.kind);
          if (result.retriable) throw new ElasticsearchUnavailable(`Elasticsearch is overloaded: ${result.reason}`);
          return result.ok ? undefined : { reject: `Elasticsearch refused the change: ${result.reason}` };
        });
      },
    });
  }
}
