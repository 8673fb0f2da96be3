import { describe, expect, it } from 'vitest';
import { writeAsRead } from './write-as-read.ts';

class Conflict extends Error {
  readonly current: number;
  readonly expected: number;
  constructor(current: number, expected: number) {
    super(`at ${current}, not ${expected}`);
    this.current = current;
    this.expected = expected;
  }
}

/** A row another writer moves on `interference` times, each just before our write lands. */
function store(version: number, interference = 0) {
  const row: { version: number; deleted?: boolean } = { version };
  let reads = 0;
  let left = interference;
  return {
    row,
    reads: () => reads,
    read: async () => {
      reads++;
      return row.deleted ? undefined : { ...row };
    },
    /** UPDATE … WHERE version = read: applies only if nobody wrote since. */
    write: async (current: { version: number }) => {
      if (left-- > 0) row.version++;
      if (row.deleted || row.version !== current.version) return undefined;
      row.version++;
      return row.version;
    },
  };
}
const errors = { notFound: () => new Error('not found'), conflict: (c: number, e: number) => new Conflict(c, e) };

describe('writeAsRead', () => {
  it("writes from the caller's read without reading again", async () => {
    const s = store(3);
    expect(await writeAsRead({ ...errors, read: s.read, current: { version: 3 }, write: s.write })).toBe(4);
    expect(s.reads()).toBe(0);
  });

  it('retries on a fresh read when another write landed first, without a version: every write applies', async () => {
    const s = store(1, 2);
    expect(await writeAsRead({ ...errors, read: s.read, write: s.write })).toBe(4);
    expect(s.reads()).toBe(3);
  });

  it('an expected version another write has passed is a conflict naming the stored version', async () => {
    const s = store(1, 1);
    await expect(writeAsRead({ ...errors, read: s.read, expectedVersion: 1, write: s.write })).rejects.toMatchObject({
      current: 2,
      expected: 1,
    });
  });

  it("judges the expected version on the store, not on the caller's older read", async () => {
    const s = store(5);
    expect(await writeAsRead({ ...errors, read: s.read, current: { version: 4 }, expectedVersion: 5, write: s.write })).toBe(6);
    await expect(
      writeAsRead({ ...errors, read: s.read, current: { version: 6 }, expectedVersion: 4, write: s.write }),
    ).rejects.toMatchObject({
      current: 6,
    });
  });

  it('a row gone before or during the write is not found', async () => {
    const s = store(1);
    s.row.deleted = true;
    await expect(writeAsRead({ ...errors, read: s.read, current: { version: 1 }, write: s.write })).rejects.toThrow('not found');
  });
});
