import { eachBatchOnce } from '../../lib/consumer/each-batch.ts';
import type { BatchHandler } from '../../lib/consumer/event-consumer.ts';
import type { Inbox } from '../../lib/inbox.ts';
import { inEventSpan } from '../../lib/tracing.ts';
import type { Accounts } from './accounts.ts';
import { teacherChangeOf } from './events.ts';

/**
 * identity's handler of teachers.events: each chunk of a batch exactly once through the inbox and
 * as a set (Accounts.applyBatch); an event that cannot apply is rejected alone (eachBatchOnce). A
 * batch of a single event, the usual case below saturation, is handled in that event's trace.
 */
export function teacherChangesHandler(inbox: Inbox, accounts: Accounts): BatchHandler {
  return eachBatchOnce(inbox, (tx, events) =>
    events.length === 1
      ? inEventSpan(`${events[0]?.type} handle`, events[0]?.traceparent, () => accounts.applyBatch(tx, events.map(teacherChangeOf)))
      : inEventSpan('teacher changes handle', undefined, () => accounts.applyBatch(tx, events.map(teacherChangeOf))),
  );
}
