import type pg from 'pg';
import type { Logger } from 'pino';
import type { OutboxRelay } from './outbox-relay.ts';

/**
 * What a commit that appended to the outbox does so that the rows leave soon. Where this process's
 * relay leads: a call, no database work at all. Elsewhere (another replica leads): one NOTIFY on
 * the relay's channel, outside the writer's transaction — where it would serialise commits — and
 * coalesced: at most one in flight and one queued, so a burst of commits costs one or two.
 */
export function relayWakeup({
  relay,
  pool,
  channel,
  log,
}: {
  relay: Pick<OutboxRelay, 'isLeader' | 'nudge'>;
  pool: Pick<pg.Pool, 'query'>;
  channel: string;
  log: Logger;
}): () => void {
  let inFlight = false;
  let queued = false;
  const notify = () => {
    inFlight = true;
    pool
      .query("SELECT pg_notify($1, 'change')", [channel])
      // Not lost: the leader also polls for unsent rows.
      .catch((error: unknown) => log.debug({ err: error }, 'could not wake the outbox relay; it will poll'))
      .finally(() => {
        inFlight = false;
        if (!queued) return;
        queued = false;
        notify();
      });
  };
  return () => {
    if (relay.isLeader) return relay.nudge();
    if (inFlight) queued = true;
    else notify();
  };
}
