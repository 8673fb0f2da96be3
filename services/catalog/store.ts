import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../../lib/http/cursor.ts';
import { type IdempotencyKey, replayOrMismatch } from '../../lib/idempotency.ts';
import { Outbox } from '../../lib/outbox.ts';
import { inTransaction } from '../../lib/pg.ts';
import { type Change, toRecord } from './events.ts';
import { type Event, type EventInput, eventInput, type eventPatch } from './schema.ts';

export class NotFound extends Error {}
export class VersionConflict extends Error {
  readonly current: number;
  constructor(current: number, expected: number) {
    super(`the event is at version ${current}, not ${expected}`);
    this.current = current;
  }
}

interface Row {
  id: string;
  version: number;
  data: EventInput;
  created_at: Date;
  updated_at: Date;
  deleted: boolean;
}

const toEvent = (row: Row): Event => ({
  ...row.data,
  id: row.id,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Events are listed in (startsAt, id) order: a cursor is the last one's, and only one this API wrote is taken back (lib/http/cursor.ts). */
export const encodeCursor = encodeTimeIdCursor;
export const decodeCursor = decodeTimeIdCursor;

/**
 * Events in PostgreSQL. Every change writes the event row and its outbox row (the whole
 * CloudEvents record) in one transaction, and wakes the relay once committed: a committed change is
 * never without its message, and a rolled-back one never has one.
 */
export class EventStore {
  private readonly pool: pg.Pool;
  private readonly outbox: Outbox;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor(pool: pg.Pool, outbox = new Outbox()) {
    this.pool = pool;
    this.outbox = outbox;
  }

  private inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  private appendChange(client: pg.PoolClient, change: Change): Promise<void> {
    return this.outbox.append(client, toRecord(change));
  }

  /**
   * Creates an event. With an idempotency key, the key, the request's hash and the response are
   * stored in the same statement: a retry with the same body gets the first event back and
   * creates nothing; the same key with another body is a mismatch (422).
   */
  async create(
    input: EventInput,
    traceparent?: string,
    idempotency?: IdempotencyKey,
  ): Promise<{ kind: 'created' | 'replayed'; event: Event }> {
    const previous = idempotency ? await this.remembered(idempotency.key) : undefined;
    if (previous && idempotency) return { kind: 'replayed', event: replayOrMismatch(previous, idempotency) };
    const id = randomUUID();
    const now = new Date();
    const event: Event = { ...input, id, version: 1, createdAt: now.toISOString(), updatedAt: now.toISOString() };
    const record = toRecord({ id: randomUUID(), kind: 'created', entityId: id, version: 1, time: now, data: { ...event }, traceparent });
    // One statement, so one round trip and atomic without BEGIN/COMMIT: the event, its outbox row,
    // and the idempotency record if any stand or fall together; the relay is woken once it has committed.
    const params: unknown[] = [id, input, input.startsAt, input.category, now, ...this.outbox.params(record)];
    let remember = '';
    if (idempotency) {
      params.push(idempotency.key, idempotency.hash, event);
      remember = ", k AS (INSERT INTO idempotency_keys (key, request_hash, status, body, headers) VALUES ($10, $11, 201, $12, '{}'))";
    }
    try {
      const { rows } = await this.pool.query<Row>(
        `WITH e AS (
           INSERT INTO events (id, version, data, starts_at, category, created_at, updated_at) VALUES ($1, 1, $2, $3, $4, $5, $5) RETURNING *
         ), o AS (${this.outbox.insertSql(6)})${remember}
         SELECT * FROM e`,
        params,
      );
      this.outbox.committed();
      return { kind: 'created' as const, event: toEvent(rows[0] as Row) };
    } catch (error) {
      // Two requests with one key at the same moment: the loser returns what the winner stored.
      if (idempotency && (error as { code?: string }).code === '23505') {
        const winner = await this.remembered(idempotency.key);
        if (winner) return { kind: 'replayed', event: replayOrMismatch(winner, idempotency) };
      }
      throw error;
    }
  }

  private async remembered(key: string): Promise<{ hash: string; answer: Event } | undefined> {
    const { rows } = await this.pool.query<{ request_hash: string; body: Event }>(
      'SELECT request_hash, body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows[0] ? { hash: rows[0].request_hash, answer: rows[0].body } : undefined;
  }

  async get(id: string): Promise<Event | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM events WHERE id = $1 AND NOT deleted', [id]);
    return rows[0] ? toEvent(rows[0]) : undefined;
  }

  async list(query: {
    category?: string;
    from?: string;
    to?: string;
    limit: number;
    cursor?: [string, string];
  }): Promise<{ items: Event[]; nextCursor?: string }> {
    const where = ['NOT deleted'];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.category) where.push(`category = ${param(query.category)}`);
    if (query.from) where.push(`starts_at >= ${param(query.from)}`);
    if (query.to) where.push(`starts_at < ${param(query.to)}`);
    if (query.cursor) where.push(`(starts_at, id) > (${param(query.cursor[0])}, ${param(query.cursor[1])})`);
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY starts_at, id LIMIT ${param(query.limit + 1)}`,
      params,
    );
    const items = rows.slice(0, query.limit).map(toEvent);
    const last = items.at(-1);
    return rows.length > query.limit && last
      ? { items, nextCursor: encodeCursor(new Date(last.startsAt).toISOString(), last.id) }
      : { items };
  }

  /** Locks the row for this transaction and checks the caller's expected version. */
  private async lock(client: pg.PoolClient, id: string, expectedVersion?: number): Promise<Row> {
    const { rows } = await client.query<Row>('SELECT * FROM events WHERE id = $1 AND NOT deleted FOR UPDATE', [id]);
    const row = rows[0];
    if (!row) throw new NotFound(`no event ${id}`);
    if (expectedVersion !== undefined && row.version !== expectedVersion) throw new VersionConflict(row.version, expectedVersion);
    return row;
  }

  async replace(id: string, input: EventInput, expectedVersion?: number, traceparent?: string): Promise<Event> {
    return this.inTransaction(async (client) => {
      const row = await this.lock(client, id, expectedVersion);
      return this.write(client, row, input, traceparent);
    });
  }

  /** Merges the patch into the stored event; the result must be a valid event (a ZodError otherwise). */
  async patch(id: string, patch: z.infer<typeof eventPatch>, expectedVersion?: number, traceparent?: string): Promise<Event> {
    return this.inTransaction(async (client) => {
      const row = await this.lock(client, id, expectedVersion);
      return this.write(client, row, eventInput.parse({ ...row.data, ...patch }), traceparent);
    });
  }

  private async write(client: pg.PoolClient, row: Row, input: EventInput, traceparent?: string): Promise<Event> {
    const { rows } = await client.query<Row>(
      'UPDATE events SET version = version + 1, data = $2, starts_at = $3, category = $4, updated_at = now() WHERE id = $1 RETURNING *',
      [row.id, input, input.startsAt, input.category],
    );
    const event = toEvent(rows[0] as Row);
    await this.appendChange(client, {
      id: randomUUID(),
      kind: 'updated',
      entityId: row.id,
      version: event.version,
      time: new Date(event.updatedAt),
      data: { ...event },
      traceparent,
    });
    return event;
  }

  async delete(id: string, expectedVersion?: number, traceparent?: string): Promise<void> {
    await this.inTransaction(async (client) => {
      const row = await this.lock(client, id, expectedVersion);
      // A tombstone keeps the version counting, so a re-delivered older change can never win.
      const { rows } = await client.query<{ version: number; updated_at: Date }>(
        'UPDATE events SET version = version + 1, deleted = true, updated_at = now() WHERE id = $1 RETURNING version, updated_at',
        [row.id],
      );
      const { version, updated_at } = rows[0] as { version: number; updated_at: Date };
      await this.appendChange(client, {
        id: randomUUID(),
        kind: 'deleted',
        entityId: row.id,
        version,
        time: updated_at,
        data: { id: row.id, version },
        traceparent,
      });
    });
  }
}
