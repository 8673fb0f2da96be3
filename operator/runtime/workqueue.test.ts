import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './workqueue.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('WorkQueue', () => {
  it('hands out each key once however often it was added', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.depth).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
  });

  it('never hands out a key that is being processed; a re-add waits until done', async () => {
    const queue = new WorkQueue();
    queue.add('a');
    const key = await queue.get();
    queue.add('a');
    expect(queue.depth).toBe(0);
    queue.done(key as string);
    expect(queue.depth).toBe(1);
    expect(await queue.get()).toBe('a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('x');
    expect(await next).toBe('x');
  });

  it('backs off a failing key exponentially and forgets it on success', () => {
    vi.useFakeTimers();
    const queue = new WorkQueue({ baseMs: 100, maxMs: 1_000 });
    expect([1, 2, 3, 4, 5].map(() => queue.addRateLimited('bad'))).toEqual([100, 200, 400, 800, 1000]);
    expect(queue.retries('bad')).toBe(5);
    queue.forget('bad');
    expect(queue.addRateLimited('bad')).toBe(100);
  });

  it('adds a delayed key only when its time comes', () => {
    vi.useFakeTimers();
    const queue = new WorkQueue();
    queue.addAfter('later', 1_000);
    vi.advanceTimersByTime(999);
    expect(queue.depth).toBe(0);
    vi.advanceTimersByTime(1);
    expect(queue.depth).toBe(1);
  });

  it('waits at most a minute by default however often a key failed', () => {
    vi.useFakeTimers();
    const queue = new WorkQueue({ baseMs: 500 });
    const delays = Array.from({ length: 50 }, () => queue.addRateLimited('bad'));
    expect([delays[0], delays[1], delays[2], delays[10], delays[49]]).toEqual([500, 1000, 2000, 60_000, 60_000]);
  });

  it('releases waiting workers on shutdown', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.shutdown();
    expect(await next).toBeUndefined();
    queue.add('ignored');
    expect(queue.depth).toBe(0);
  });
});
