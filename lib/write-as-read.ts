/**
 * A write of one row by a single statement that applies only while the row is still at the
 * version the writer read (`... WHERE id = $1 AND version = $read`): the version check a row lock
 * made, without BEGIN, SELECT … FOR UPDATE and COMMIT. `write` answers undefined when another write
 * committed since the read; the row is read again and the write retried, as a writer waiting for
 * the lock saw the other's change. A version the caller expects is checked against a read of the
 * store (the caller's own read may be older than the version it expects): another is `conflict`.
 */
export async function writeAsRead<Row extends { version: number }, T>({
  read,
  current,
  expectedVersion,
  write,
  notFound,
  conflict,
}: {
  /** The row as stored now, undefined when there is none (or it is deleted). */
  read: () => Promise<Row | undefined>;
  /** The row as the caller has just read it (it saves a read), or undefined to read it here. */
  current?: Row;
  expectedVersion?: number;
  write: (current: Row) => Promise<T | undefined>;
  notFound: () => Error;
  conflict: (current: number, expected: number) => Error;
}): Promise<T> {
  let row = current ?? (await read());
  let stored = current === undefined;
  for (;;) {
    if (!row) throw notFound();
    if (expectedVersion === undefined || row.version === expectedVersion) {
      const done = await write(row);
      if (done !== undefined) return done;
    } else if (stored) throw conflict(row.version, expectedVersion);
    row = await read();
    stored = true;
  }
}
