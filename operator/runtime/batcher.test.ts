import { describe, expect, it } from 'vitest';
import { Batcher, eachOrAlone, type Outcome } from './batcher.ts';

/** A batch function that records what it was given and answers each input by `answer`. */
function recording<In, Out>(answer: (input: In) => Outcome<Out>) {
  const batches: In[][] = [];
  const run = async (inputs: In[]) => {
    batches.push(inputs);
    return inputs.map(answer);
  };
  return { batches, run };
}

describe('Batcher', () => {
  it('sends calls made within the linger as one batch, each caller getting its own answer', async () => {
    const { batches, run } = recording((n: number) => ({ ok: true, value: n * 10 }));
    const batcher = new Batcher(run, { lingerMs: 20 });
    const answers = await Promise.all([1, 2, 3].map((n) => batcher.call(n)));
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('gives an input its own error and the others their values', async () => {
    const { run } = recording(
      (n: number): Outcome<number> => (n === 2 ? { ok: false, error: new Error('two refused') } : { ok: true, value: n }),
    );
    const batcher = new Batcher(run, { lingerMs: 5 });
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('two refused');
  });

  it('fails every caller of a batch whose request failed', async () => {
    const batcher = new Batcher<number, number>(
      async () => {
        throw new Error('broker gone');
      },
      { lingerMs: 5 },
    );
    const results = await Promise.allSettled([1, 2].map((n) => batcher.call(n)));
    expect(results.every((r) => r.status === 'rejected' && r.reason.message === 'broker gone')).toBe(true);
  });

  it('runs a full batch at once, without waiting for the linger', async () => {
    const { batches, run } = recording((n: number) => ({ ok: true, value: n }));
    const batcher = new Batcher(run, { lingerMs: 60_000, maxBatch: 2 });
    await Promise.all([batcher.call(1), batcher.call(2)]);
    const third = batcher.call(3);
    expect(batches).toEqual([[1, 2]]);
    // The third waits for more company (a minute here); it is not part of the full batch.
    expect(await Promise.race([third, new Promise((r) => setTimeout(() => r('waiting'), 30))])).toBe('waiting');
  });

  it('asks once for inputs with the same key, answering every caller', async () => {
    const { batches, run } = recording((topic: string) => ({ ok: true, value: `${topic}!` }));
    const batcher = new Batcher(run, { lingerMs: 5, key: (topic) => topic });
    expect(await Promise.all(['a', 'b', 'a'].map((t) => batcher.call(t)))).toEqual(['a!', 'b!', 'a!']);
    expect(batches).toEqual([['a', 'b']]);
  });

  it('starts a new batch after one has gone', async () => {
    const { batches, run } = recording((n: number) => ({ ok: true, value: n }));
    const batcher = new Batcher(run, { lingerMs: 5 });
    await batcher.call(1);
    await Promise.all([batcher.call(2), batcher.call(3)]);
    expect(batches).toEqual([[1], [2, 3]]);
  });
});

describe('eachOrAlone', () => {
  it('answers all from one call when the batch is accepted', async () => {
    let alone = 0;
    const outcomes = await eachOrAlone(
      [1, 2],
      async (all) => all.map((n) => n + 1),
      async (n) => {
        alone++;
        return n;
      },
    );
    expect(outcomes).toEqual([
      { ok: true, value: 2 },
      { ok: true, value: 3 },
    ]);
    expect(alone).toBe(0);
  });

  it('after a refused batch, tries each alone so one bad input fails by itself', async () => {
    const outcomes = await eachOrAlone(
      ['good', 'bad', 'fine'],
      async () => {
        throw new Error('InvalidConfig somewhere');
      },
      async (name) => {
        if (name === 'bad') throw new Error('bad: invalid config');
        return name;
      },
    );
    expect(outcomes.map((o) => (o.ok ? o.value : (o.error as Error).message))).toEqual(['good', 'bad: invalid config', 'fine']);
  });

  it('a batch of one that fails is that input’s error, not a second try', async () => {
    let alone = 0;
    const [outcome] = await eachOrAlone(
      ['x'],
      async () => {
        throw new Error('refused');
      },
      async (x) => {
        alone++;
        return x;
      },
    );
    expect(outcome).toMatchObject({ ok: false });
    expect(alone).toBe(0);
  });
});
