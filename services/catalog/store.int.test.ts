// @needs postgres
/**
 * The catalog's writes as single statements on a real PostgreSQL: a write applies only to the
 * version it read, so concurrent writers must end as a row lock made them end — without a version
 * every write applies, one after another; with the same expected version exactly one does and the
 * others are conflicts; each applied write has exactly one outbox record, a refused one none.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromRecord } from './events.ts';
import { migrate } from './migrations.ts';
import { eventInput } from './schema.ts';
import { EventStore, NotFound, VersionConflict } from './store.ts';
import { freshDatabase, sampleEvent } from './testing/fixtures.ts';

let pool: pg.Pool;
let store: EventStore;
const input = (overrides: Record<string, unknown> = {}) => eventInput.parse(sampleEvent(overrides));

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 10 });
  await migrate(pool);
  store = new EventStore(pool);
});
afterAll(() => pool.end());

/** The changes of one event in the outbox, in order: kind and version. */
async function changesOf(id: string) {
  const { rows } = await pool.query<{ key: string; value: string; headers: Record<string, string> }>(
    'SELECT key, value, headers FROM outbox WHERE key = $1 ORDER BY id',
    [id],
  );
  return rows.map((row) => {
    const change = fromRecord({ key: row.key, value: row.value, headers: row.headers });
    return { kind: change.kind, version: change.version, data: change.data };
  });
}

const created = async () => (await store.create(input())).event;

describe('catalog writes of one statement each', () => {
  it('concurrent writes without a version all apply, one after another, each with its record', async () => {
    const event = await created();
    const written = await Promise.all(Array.from({ length: 8 }, (_, i) => store.patch(event.id, { capacity: i + 1 })));
    expect(written.map((e) => e.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const changes = await changesOf(event.id);
    expect(changes.map((c) => `${c.kind} ${c.version}`)).toEqual(['created 1', ...[2, 3, 4, 5, 6, 7, 8, 9].map((v) => `updated ${v}`)]);
    // What each record says is what that write answered, and the last is what is stored.
    for (const answer of written) expect(changes.find((c) => c.version === answer.version)?.data).toEqual(answer);
    expect(await store.get(event.id)).toEqual(written.find((e) => e.version === 9));
  });

  it('concurrent writes expecting one version: exactly one applies, the others are conflicts naming the version it made', async () => {
    const event = await created();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => store.replace(event.id, input({ name: `Writer ${i}` }), 1)),
    );
    const applied = outcomes.filter((o) => o.status === 'fulfilled');
    expect(applied).toHaveLength(1);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect(o.reason).toBeInstanceOf(VersionConflict);
      expect((o.reason as VersionConflict).current).toBe(2);
    }
    expect((await changesOf(event.id)).map((c) => `${c.kind} ${c.version}`)).toEqual(['created 1', 'updated 2']);
  });

  it('a write from a stale read applies to the current event, or is a conflict when it expected the stale version', async () => {
    const stale = await created();
    await store.patch(stale.id, { capacity: 7 });
    await expect(store.patch(stale, { name: 'From a stale read' }, stale.version)).rejects.toMatchObject({ current: 2 });
    // Merged onto the event as it is now: the other write's capacity stays.
    expect(await store.patch(stale, { name: 'From a stale read' })).toMatchObject({
      version: 3,
      capacity: 7,
      name: 'From a stale read',
    });
  });

  it('a delete racing writes: the tombstone follows them; afterwards every write is 404 and writes no record', async () => {
    const event = await created();
    await Promise.all(
      [store.patch(event.id, { capacity: 1 }), store.delete(event), store.patch(event, { capacity: 2 })].map((p) => p.catch((e) => e)),
    );
    const changes = await changesOf(event.id);
    const last = changes.at(-1);
    expect(last?.kind).toBe('deleted');
    expect(changes.map((c) => c.version)).toEqual(changes.map((_, i) => i + 1));
    await expect(store.patch(event, { capacity: 3 })).rejects.toBeInstanceOf(NotFound);
    await expect(store.delete(event.id, last?.version)).rejects.toBeInstanceOf(NotFound);
    expect(await changesOf(event.id)).toHaveLength(changes.length);
  });

  it('a delete expecting a stale version is a conflict and leaves the event', async () => {
    const event = await created();
    await store.patch(event.id, { capacity: 9 });
    await expect(store.delete(event, 1)).rejects.toMatchObject({ current: 2 });
    expect(await store.get(event.id)).toMatchObject({ version: 2 });
    await store.delete(event, 2);
    expect((await changesOf(event.id)).map((c) => `${c.kind} ${c.version}`)).toEqual(['created 1', 'updated 2', 'deleted 3']);
  });
});
