import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { z } from 'zod';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../../lib/http/cursor.ts';
import { type IdempotencyKey, replayOrMismatch } from '../../lib/idempotency.ts';
import { Outbox } from '../../lib/outbox.ts';
import { writeAsRead } from '../../lib/write-as-read.ts';
import { toRecord } from './events.ts';
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

  /** A write of the event as read (`target`: its id, or the event the caller has just read), in one statement: lib/write-as-read.ts. */
  private asRead<T>(target: string | Event, expectedVersion: number | undefined, write: (current: Event) => Promise<T | undefined>) {
    const id = typeof target === 'string' ? target : target.id;
    return writeAsRead({
      read: () => this.get(id),
      ...(typeof target === 'string' ? {} : { current: target }),
      expectedVersion,
      write,
      notFound: () => new NotFound(`no event ${id}`),
      conflict: (current, expected) => new VersionConflict(current, expected),
    });
  }

  async replace(target: string | Event, input: EventInput, expectedVersion?: number, traceparent?: string): Promise<Event> {
    return this.asRead(target, expectedVersion, (current) => this.write(current, input, traceparent));
  }

  /** Merges the patch into the stored event; the result must be a valid event (a ZodError otherwise). */
  async patch(target: string | Event, patch: z.infer<typeof eventPatch>, expectedVersion?: number, traceparent?: string): Promise<Event> {
    return this.asRead(target, expectedVersion, (current) => {
      const { id: _id, version: _version, createdAt: _created, updatedAt: _updated, ...stored } = current;
      return this.write(current, eventInput.parse({ ...stored, ...patch }), traceparent);
    });
  }

  /** The event's next version and its outbox row in one statement, if it is still at current's version. */
  private async write(current: Event, input: EventInput, traceparent?: string): Promise<Event | undefined> {
    const version = current.version + 1;
    const now = new Date();
    const event: Event = { ...input, id: current.id, version, createdAt: current.createdAt, updatedAt: now.toISOString() };
    const record = toRecord({
      id: randomUUID(),
      kind: 'updated',
      entityId: current.id,
      version,
      time: now,
      data: { ...event },
      traceparent,
    });
    const { rows } = await this.pool.query<Row>(
      `WITH e AS (
         UPDATE events SET version = $2 + 1, data = $3, starts_at = $4, category = $5, updated_at = $6
         WHERE id = $1 AND version = $2 AND NOT deleted RETURNING *
       ), o AS (${this.outbox.insertFromSql('e', 7)})
       SELECT * FROM e`,
      [current.id, current.version, input, input.startsAt, input.category, now, ...this.outbox.params(record)],
    );
    if (!rows[0]) return undefined;
    this.outbox.committed();
    return toEvent(rows[0]);
  }

  async delete(target: string | Event, expectedVersion?: number, traceparent?: string): Promise<void> {
    await this.asRead(target, expectedVersion, async (current) => {
      // A tombstone keeps the version counting, so a re-delivered older change can never win.
      const version = current.version + 1;
      const now = new Date();
      const record = toRecord({
        id: randomUUID(),
        kind: 'deleted',
        entityId: current.id,
        version,
        time: now,
        data: { id: current.id, version },
        traceparent,
      });
      const { rowCount } = await this.pool.query(
        `WITH e AS (
           UPDATE events SET version = $2 + 1, deleted = true, updated_at = $3
           WHERE id = $1 AND version = $2 AND NOT deleted RETURNING id
         ), o AS (${this.outbox.insertFromSql('e', 4)})
         SELECT id FROM e`,
        [current.id, current.version, now, ...this.outbox.params(record)],
      );
      if (rowCount === 0) return undefined;
      this.outbox.committed();
      return true;
    });
  }
}
