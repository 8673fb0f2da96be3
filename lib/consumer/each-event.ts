import type pg from 'pg';
import { EnvelopeError } from '../cloudevents.ts';
import type { DecodedEvent } from '../contracts.ts';
import { refusedByDatabase } from '../database-errors.ts';
import type { Inbox } from '../inbox.ts';
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

/**
 * A handler that writes a whole batch through the inbox in one transaction (chunks of
 * `chunkSize`), each event's effects exactly once. When a chunk fails for an event's content (an
 * EnvelopeError, ContractError or a refused write), it is applied again one event per
 * transaction, so only that event is rejected (retried, then dead-lettered) and the others count
 * as done; any other error means a dependency is unavailable and the batch is retried.
 */
export function eachEventOnce(
  inbox: Inbox,
  handle: (tx: pg.PoolClient, event: DecodedEvent) => Promise<void>,
  chunkSize = 200,
): BatchHandler {
  const alone = eachEvent((event) => inbox.once(event.id, (tx) => handle(tx, event)));
  const handler: BatchHandler = async (events, context) => {
    const outcomes: (Rejection | undefined)[] = [];
    for (let start = 0; start < events.length; start += chunkSize) {
      const chunk = events.slice(start, start + chunkSize);
      try {
        await inbox.onceEach(
          chunk,
          (event) => event.id,
          (tx, event) => inEventSpan(`${event.type} handle`, event.traceparent, () => handle(tx, event)),
        );
        outcomes.push(...chunk.map(() => undefined));
      } catch (error) {
        if (!(error instanceof EnvelopeError) && !refusedByDatabase(error)) throw error;
        outcomes.push(...((await alone(chunk, context)) ?? chunk.map(() => undefined)));
      }
      await context.heartbeat();
    }
    return outcomes;
  };
  return Object.assign(handler, { inbox });
}
