import { EnvelopeError } from '../cloudevents.ts';
import type { DecodedEvent } from '../contracts.ts';
import { refusedByDatabase } from '../database-errors.ts';
import { inEventSpan } from '../tracing.ts';
import type { BatchHandler, Rejection } from './event-consumer.ts';

/**
 * A handler of one event at a time, for consumers that write each event in its own transaction
 * (with the inbox). An EnvelopeError or ContractError it throws, or a write PostgreSQL refuses
 * for its content, rejects that event alone (retried, then dead-lettered); any other error means
 * a dependency is unavailable, and the batch is retried (what was applied before is then a
 * duplicate to the inbox).
 */
export function eachEvent(handle: (event: DecodedEvent) => Promise<unknown>): BatchHandler {
  return async (events) => {
    const outcomes: (Rejection | undefined)[] = [];
    for (const event of events) {
      try {
        await inEventSpan(`${event.type} handle`, event.traceparent, () => handle(event));
        outcomes.push(undefined);
      } catch (error) {
        if (!(error instanceof EnvelopeError) && !refusedByDatabase(error)) throw error;
        outcomes.push({ reject: (error as Error).message });
      }
    }
    return outcomes;
  };
}
