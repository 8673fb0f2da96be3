/**
 * Offset commits of batches handled at the same time, sent together: partitions handled
 * concurrently (one fetch's batches) would each send a commit request; here the commits asked for
 * in one turn of the event loop leave in one request, and each caller still waits for its own
 * offset to be committed (or for the request's error) before its batch counts as done.
 */
export interface PartitionOffset {
  partition: number;
  /** The next offset to read, as Kafka commits it. */
  offset: string;
}

export class CoalescedCommits {
  private readonly send: (offsets: PartitionOffset[]) => Promise<void>;
  private pending = new Map<number, string>();
  private flush: Promise<void> | undefined;

  constructor(send: (offsets: PartitionOffset[]) => Promise<void>) {
    this.send = send;
  }

  commit(partition: number, offset: string): Promise<void> {
    const known = this.pending.get(partition);
    // The same partition twice in one turn (a retried batch): the furthest offset is the one to keep.
    if (known === undefined || BigInt(offset) > BigInt(known)) this.pending.set(partition, offset);
    this.flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const offsets = [...this.pending].map(([p, o]) => ({ partition: p, offset: o }));
      this.pending = new Map();
      this.flush = undefined;
      return this.send(offsets);
    });
    return this.flush;
  }
}
