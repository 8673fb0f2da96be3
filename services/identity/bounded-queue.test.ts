import { describe, expect, it } from 'vitest';
import { BoundedQueue, QueueFull } from './bounded-queue.ts';

/** A task that ends when the test says so. */
function gate<T>(value: T) {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { task: () => opened.then(() => value), open };
}

describe('BoundedQueue', () => {
  it('runs at most `concurrency` at once, the next in order of arrival as one ends', async () => {
    const queue = new BoundedQueue({ concurrency: 2, capacity: 2, expectedMs: 100 });
    const gates = [gate('a'), gate('b'), gate('c'), gate('d')];
    const order: string[] = [];
    const runs = gates.map((g) => queue.run(g.task).then((v) => order.push(v)));
    expect(queue.depth).toEqual({ running: 2, waiting: 2 });
    gates[1]?.open();
    gates[3]?.open();
    await new Promise((r) => setTimeout(r, 0));
    // b ended, so c (next in line) started; d waits for a place although its task is done.
    expect(queue.depth).toEqual({ running: 2, waiting: 1 });
    gates[0]?.open();
    gates[2]?.open();
    await Promise.all(runs);
    expect(order[0]).toBe('b');
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  it('refuses beyond its capacity at once, saying how long the queue takes to drain', async () => {
    let now = 0;
    const queue = new BoundedQueue({ concurrency: 1, capacity: 3, expectedMs: 500, now: () => now });
    const held = gate(1);
    const runs = [queue.run(held.task), queue.run(held.task), queue.run(held.task), queue.run(held.task)];
    const refused = await queue.run(held.task).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueFull);
    // Four ahead at 500 ms each, one at a time: 2 s.
    expect((refused as QueueFull).retryAfterSeconds).toBe(2);
    now = 10_000;
    held.open();
    await Promise.all(runs);
    expect(queue.depth).toEqual({ running: 0, waiting: 0 });
  });

  it('with no queue, refuses whatever finds every place taken; a failed task frees its place', async () => {
    const queue = new BoundedQueue({ concurrency: 1, capacity: 0, expectedMs: 100 });
    const held = gate(1);
    const first = queue.run(held.task);
    await expect(queue.run(held.task)).rejects.toBeInstanceOf(QueueFull);
    held.open();
    await first;
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'free again')).toBe('free again');
  });
});
