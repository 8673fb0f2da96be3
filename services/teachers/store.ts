import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { encodeEvent } from '../../lib/contracts.ts';
import { decodeIdCursor, encodeIdCursor } from '../../lib/http/cursor.ts';
import { Outbox } from '../../lib/outbox.ts';
import { writeAsRead } from '../../lib/write-as-read.ts';
import { type TeacherChangeKind, teacherContracts } from './events.ts';
import type { Teacher, TeacherInput, TeacherPatch } from './schema.ts';

export class NotFound extends Error {}
export class EmailTaken extends Error {}
export class VersionConflict extends Error {
  readonly current: number;
  constructor(current: number, expected: number) {
    super(`the teacher is at version ${current}, not ${expected}`);
    this.current = current;
  }
}

interface Row {
  id: string;
  tenant_id: string;
  full_name: string;
  email: string;
  phone_number: string;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const toTeacher = (row: Row): Teacher => ({
  id: row.id,
  tenantId: row.tenant_id,
  fullName: row.full_name,
  email: row.email,
  phoneNumber: row.phone_number,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const uniqueEmail = (error: unknown) =>
  (error as { code?: string }).code === '23505' && (error as { constraint?: string }).constraint === 'teachers_email';

/** Teachers are listed in id order: a cursor is the last id, and only one this API wrote is taken back (lib/http/cursor.ts). */
export const encodeCursor = encodeIdCursor;
export const decodeCursor = decodeIdCursor;

/**
 * Teachers in PostgreSQL. Every change writes the teacher row and its event in one statement
 * (the outbox): a committed change always reaches identity, a rolled-back one never does.
 */
export class TeacherStore {
  private readonly pool: pg.Pool;
  private readonly outbox: Outbox;

  /** `outbox`: the publisher's, which wakes the relay after a commit; unwired, the relay polls. */
  constructor(pool: pg.Pool, outbox = new Outbox()) {
    this.pool = pool;
    this.outbox = outbox;
  }

  private record(kind: TeacherChangeKind, data: Teacher | { id: string; tenantId: string; version: number }, traceparent?: string) {
    return encodeEvent(teacherContracts[kind], data as Teacher, { id: randomUUID(), ...(traceparent ? { traceparent } : {}) });
  }

  /**
   * One statement, so one round trip and atomic without BEGIN/COMMIT: the teacher and its outbox
   * row stand or fall together (an address taken refuses both); the relay is woken once committed.
   */
  async create(input: TeacherInput, traceparent?: string): Promise<Teacher> {
    const now = new Date().toISOString();
    const created: Teacher = { id: randomUUID(), ...input, version: 1, createdAt: now, updatedAt: now };
    const record = this.record('created', created, traceparent);
    try {
      const { rows } = await this.pool.query<Row>(
        `WITH t AS (
           INSERT INTO teachers (id, tenant_id, full_name, email, phone_number, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING *
         ), o AS (${this.outbox.insertSql(7)})
         SELECT * FROM t`,
        [created.id, input.tenantId, input.fullName, input.email, input.phoneNumber, now, ...this.outbox.params(record)],
      );
      this.outbox.committed();
      return toTeacher(rows[0] as Row);
    } catch (error) {
      if (uniqueEmail(error)) throw new EmailTaken(`tenant ${input.tenantId} already has a teacher with e-mail ${input.email}`);
      throw error;
    }
  }

  async get(id: string): Promise<Teacher | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM teachers WHERE id = $1 AND NOT deleted', [id]);
    return rows[0] ? toTeacher(rows[0]) : undefined;
  }

  /** A tenant's teachers in id order, `limit` at a time; nextCursor continues after the last. */
  async list(query: { tenantId: string; limit: number; after?: string }): Promise<{ items: Teacher[]; nextCursor?: string }> {
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM teachers WHERE tenant_id = $1 AND NOT deleted AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
      [query.tenantId, query.after ?? null, query.limit + 1],
    );
    const items = rows.slice(0, query.limit).map(toTeacher);
    const last = items.at(-1);
    return rows.length > query.limit && last ? { items, nextCursor: encodeCursor(last.id) } : { items };
  }

  /** A write of the teacher as read (`target`: its id, or the teacher the caller has just read), in one statement: lib/write-as-read.ts. */
  private asRead<T>(target: string | Teacher, expectedVersion: number | undefined, write: (current: Teacher) => Promise<T | undefined>) {
    const id = typeof target === 'string' ? target : target.id;
    return writeAsRead({
      read: () => this.get(id),
      ...(typeof target === 'string' ? {} : { current: target }),
      expectedVersion,
      write,
      notFound: () => new NotFound(`no teacher ${id}`),
      conflict: (current, expected) => new VersionConflict(current, expected),
    });
  }

  async update(target: string | Teacher, patch: TeacherPatch, expectedVersion?: number, traceparent?: string): Promise<Teacher> {
    try {
      return await this.asRead(target, expectedVersion, async (current) => {
        const now = new Date().toISOString();
        const { fullName = current.fullName, email = current.email, phoneNumber = current.phoneNumber } = patch;
        const updated: Teacher = { ...current, fullName, email, phoneNumber, version: current.version + 1, updatedAt: now };
        const { rows } = await this.pool.query<Row>(
          `WITH t AS (
             UPDATE teachers SET full_name = $3, email = $4, phone_number = $5, version = $2 + 1, updated_at = $6
             WHERE id = $1 AND version = $2 AND NOT deleted RETURNING *
           ), o AS (${this.outbox.insertFromSql('t', 7)})
           SELECT * FROM t`,
          [
            current.id,
            current.version,
            fullName,
            email,
            phoneNumber,
            now,
            ...this.outbox.params(this.record('updated', updated, traceparent)),
          ],
        );
        if (!rows[0]) return undefined;
        this.outbox.committed();
        return toTeacher(rows[0]);
      });
    } catch (error) {
      if (uniqueEmail(error)) throw new EmailTaken(`this tenant already has a teacher with e-mail ${patch.email}`);
      throw error;
    }
  }

  async delete(target: string | Teacher, expectedVersion?: number, traceparent?: string): Promise<void> {
    await this.asRead(target, expectedVersion, async (current) => {
      // A tombstone keeps the version counting, so a redelivered older change can never win.
      const tombstone = { id: current.id, tenantId: current.tenantId, version: current.version + 1 };
      const { rowCount } = await this.pool.query(
        `WITH t AS (
           UPDATE teachers SET deleted = true, version = $2 + 1, updated_at = now()
           WHERE id = $1 AND version = $2 AND NOT deleted RETURNING id
         ), o AS (${this.outbox.insertFromSql('t', 3)})
         SELECT id FROM t`,
        [current.id, current.version, ...this.outbox.params(this.record('deleted', tombstone, traceparent))],
      );
      if (rowCount === 0) return undefined;
      this.outbox.committed();
      return true;
    });
  }
}
