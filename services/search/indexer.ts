import type { Client } from '@elastic/elasticsearch';
import type { BatchHandler, Rejection } from '../../lib/consumer/event-consumer.ts';
import { changeOf } from '../catalog/events.ts';
import { bulkAction, outcome } from './bulk.ts';
import { indexName } from './index-definition.ts';

/** What a record that is not a catalog change says in its dead letter (the consumer's `unprocessable`), before the detail. */
export const notACatalogChange = 'not a catalog change';

/** Elasticsearch did not take a batch (down, frozen or overloaded): retry it, do not dead-letter. */
class ElasticsearchUnavailable extends Error {}

/**
 * Catalog changes into Elasticsearch, the search indexer's batch handler. One bulk request per
 * batch, versioned externally so replays and stale changes never make a document older; the
 * consumer commits only after Elasticsearch accepted the batch.
 */
export function indexChanges(es: Client, index = indexName): BatchHandler {
  return async (events) => {
    const changes: ({ change: ReturnType<typeof changeOf> } | Rejection)[] = events.map((event) => {
      try {
        return { change: changeOf(event) };
      } catch (error) {
        return { reject: `${notACatalogChange}: ${(error as Error).message}` };
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
  };
}
