import type pg from 'pg';
import { EnvelopeError } from '../cloudevents.ts';
import type { DecodedEvent } from '../contracts.ts';
import { refusedByDatabase } from '../database-errors.ts';
import type { Inbox } from '../inbox.ts';
import { inEventSpan } from '../tracing.ts';
import { eachEvent } from './each-event.ts';
import type { BatchHandler, Rejection } from './event-consumer.ts';

/**
 * A handler that applies a batch as a set: per chunk of `chunkSize`, one transaction holding one
 * inbox statement for all the ids (Inbox.onceAsSet) and the service's `apply` for the events new
 * to the group — a few multi-row statements rather than several round trips per event. `apply`
 * gets them in partition order, so per-key order holds. When a chunk fails for an event's content
 * (an EnvelopeError, a ContractError or a write PostgreSQL refuses), the chunk is applied again
 * one event per transaction, so only that event is rejected (retried, then dead-lettered) and the
 * others count as done; any other error means a dependency is unavailable and the batch is retried.
 */
export function eachBatchOnce(
  inbox: Inbox,
  apply: (tx: pg.PoolClient, events: DecodedEvent[]) => Promise<void>,
  chunkSize = 500,
): BatchHandler {
  const alone = eachEvent((event) => inbox.once(event.id, (tx) => apply(tx, [event])));
  const handler: BatchHandler = async (events, context) => {
    const outcomes: (Rejection | undefined)[] = [];
    for (let start = 0; start < events.length; start += chunkSize) {
      const chunk = events.slice(start, start + chunkSize);
      try {
        await inbox.onceAsSet(chunk, (event) => event.id, apply);
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

/**
 * A handler of one event at a time inside a batch's single transaction (each-batch.ts: one inbox
 * statement per chunk), each event's effects exactly once and in partition order; for consumers
 * whose effects are not yet written as a set.
 */
export function eachEventOnce(
  inbox: Inbox,
  handle: (tx: pg.PoolClient, event: DecodedEvent) => Promise<void>,
  chunkSize = 200,
): BatchHandler {
  return eachBatchOnce(
    inbox,
    async (tx, events) => {
      for (const event of events) await inEventSpan(`${event.type} handle`, event.traceparent, () => handle(tx, event));
    },
    chunkSize,
  );
}
