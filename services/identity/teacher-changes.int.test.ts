// @needs postgres
/**
 * identity's handler of teachers.events on a real PostgreSQL, batches handed to it as the consumer
 * would: new users made as a set (a constant number of statements however many), a later change
 * of a teacher in the same batch applied after its creation, a poisoned event rejected alone, and
 * a redelivered batch applying nothing twice. Statements are counted on the pool's connections.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { recordStatements } from '../../devkit/postgres.ts';
import type { DecodedEvent } from '../../lib/contracts.ts';
import { Inbox } from '../../lib/inbox.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { teacherContracts } from '../teachers/events.ts';
import { Accounts } from './accounts.ts';
import { migrate } from './migrations.ts';
import { teacherChangesHandler } from './teacher-changes.ts';

let pool: pg.Pool;
let statements: string[] = [];
const context = { partition: 0, heartbeat: async () => undefined };

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 2 });
  recordStatements(pool, (text) => statements.push(text));
  await migrate(pool);
});
afterAll(() => pool.end());
beforeEach(() => {
  statements = [];
});

const handler = () =>
  teacherChangesHandler(
    new Inbox({ pool, group: `identity-${randomUUID().slice(0, 8)}` }),
    new Accounts({ tenants: new Set(['school-a']), tokenTtlMs: 3600_000 }),
  );

type Kind = keyof typeof teacherContracts;
const teacher = (overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  tenantId: 'school-a',
  fullName: 'Ada Lovelace',
  email: `ada.${randomUUID().slice(0, 8)}@school.example`,
  phoneNumber: '+4915112345678',
  version: 1,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  ...overrides,
});
/** A teacher change as the consumer decodes it from teachers.events. */
const change = (kind: Kind, data: ReturnType<typeof teacher>): DecodedEvent =>
  ({
    id: randomUUID(),
    type: teacherContracts[kind].type,
    source: '/teachers',
    subject: data.id,
    key: data.id,
    time: new Date(),
    data: kind === 'deleted' ? { id: data.id, tenantId: data.tenantId, version: data.version } : data,
    contract: teacherContracts[kind],
  }) as DecodedEvent;

const usersOf = async (teachers: { id: string }[]) =>
  (
    await pool.query<{ id: string; entity_id: string; email: string; status: string; source_version: number }>(
      "SELECT id, entity_id, email, status, source_version FROM users WHERE entity_type = 'teacher' AND entity_id = ANY($1)",
      [teachers.map((t) => t.id)],
    )
  ).rows;
const tokensOf = async (userId: string) =>
  (
    await pool.query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM activation_tokens WHERE user_id = $1 ORDER BY created_at, revoked_at NULLS LAST',
      [userId],
    )
  ).rows.map((r) => r.revoked);
/** The activation requests in the outbox for a user, oldest first: the address each went to. */
const activationsOf = async (userId: string) =>
  (await pool.query<{ value: string }>('SELECT value FROM outbox WHERE key = $1 ORDER BY id', [userId])).rows.map(
    (r) => (JSON.parse(r.value) as { email: string }).email,
  );

describe("identity's handler of teacher changes", () => {
  it('makes the users of a batch of created teachers in one go: one INSERT each for users, tokens and activation requests', async () => {
    const teachers = Array.from({ length: 50 }, () => teacher());
    expect(
      await handler()(
        teachers.map((t) => change('created', t)),
        context,
      ),
    ).toEqual(teachers.map(() => undefined));
    const sent = [...statements];

    const users = await usersOf(teachers);
    expect(users).toHaveLength(50);
    expect(users.every((u) => u.status === 'PendingActivation' && u.source_version === 1)).toBe(true);
    for (const user of users.slice(0, 3)) {
      expect(await tokensOf(user.id)).toEqual([false]);
      expect(await activationsOf(user.id)).toEqual([user.email]);
    }
    const count = (pattern: RegExp) => sent.filter((s) => pattern.test(s)).length;
    expect(count(/INSERT INTO users/)).toBe(1);
    expect(count(/INSERT INTO activation_tokens/)).toBe(1);
    expect(count(/INSERT INTO outbox/)).toBe(1);
    // Nothing to revoke for a user that did not exist.
    expect(count(/UPDATE \w+ SET/)).toBe(0);
    // BEGIN, the inbox, the users named, three INSERTs, COMMIT.
    expect(sent).toHaveLength(7);
  });

  it('applies a later change of a teacher created in the same batch after its creation, each teacher in its order', async () => {
    const [a, b, c, d] = [teacher(), teacher(), teacher(), teacher()] as const;
    const moved = { ...b, email: `moved.${randomUUID().slice(0, 8)}@school.example`, version: 2 };
    const gone = { ...c, version: 2 };
    const stale = { ...d, email: 'stale@school.example', version: 1 };
    const newer = { ...d, email: `newer.${randomUUID().slice(0, 8)}@school.example`, version: 2 };
    const events = [
      change('created', a),
      change('created', b),
      change('updated', moved),
      change('created', c),
      change('deleted', gone),
      // An update whose create was lost makes the account; an older version after it changes nothing.
      change('updated', newer),
      change('created', stale),
    ];
    expect(await handler()(events, context)).toEqual(events.map(() => undefined));

    const users = new Map((await usersOf([a, b, c, d])).map((u) => [u.entity_id, u]));
    expect(users.get(a.id)).toMatchObject({ email: a.email, status: 'PendingActivation', source_version: 1 });
    const userB = users.get(b.id);
    expect(userB).toMatchObject({ email: moved.email, status: 'PendingActivation', source_version: 2 });
    // The token sent to the old address stops working; a new one went to the new address.
    expect(await tokensOf(userB?.id ?? '')).toEqual([true, false]);
    expect(await activationsOf(userB?.id ?? '')).toEqual([b.email, moved.email]);
    const userC = users.get(c.id);
    expect(userC).toMatchObject({ status: 'Disabled', source_version: 2 });
    expect(await tokensOf(userC?.id ?? '')).toEqual([true]);
    expect(users.get(d.id)).toMatchObject({ email: newer.email, status: 'PendingActivation', source_version: 2 });
  });

  it('rejects a poisoned event alone; the rest of its batch applies', async () => {
    const [a, b, c] = [teacher(), teacher(), teacher()] as const;
    const elsewhere = teacher({ tenantId: 'school-z' });
    const mislabelled = { ...change('created', c), key: randomUUID() };
    const events = [change('created', a), change('created', elsewhere), mislabelled, change('created', b)];
    const outcomes = await handler()(events, context);
    expect(outcomes).toEqual([
      undefined,
      { reject: expect.stringContaining('unknown tenant "school-z"') },
      { reject: expect.stringContaining('must all name the same teacher') },
      undefined,
    ]);
    expect((await usersOf([a, b, c, elsewhere])).map((u) => u.entity_id).sort()).toEqual([a.id, b.id].sort());
  });

  it('applies nothing twice when a batch is delivered again', async () => {
    const handle = handler();
    const [a, b] = [teacher(), teacher()] as const;
    const events = [change('created', a), change('created', b), change('updated', { ...a, email: 'again@school.example', version: 2 })];
    await handle(events, context);
    const before = await pool.query(
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM activation_tokens) AS tokens, (SELECT count(*) FROM outbox) AS outbox',
    );
    statements = [];
    expect(await handle(events, context)).toEqual(events.map(() => undefined));
    // The inbox knew every id: nothing past it ran.
    expect(statements.filter((s) => /users|activation_tokens|outbox/.test(s))).toEqual([]);
    const after = await pool.query(
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM activation_tokens) AS tokens, (SELECT count(*) FROM outbox) AS outbox',
    );
    expect(after.rows).toEqual(before.rows);
  });
});
