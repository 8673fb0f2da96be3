import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { repeat } from './repeat.ts';

describe('repeat', () => {
  it('runs again after each run, never two at once, and survives a failing run', async () => {
    let runs = 0;
    let concurrent = 0;
    let most = 0;
    const repeating = repeat(async () => {
      runs++;
      concurrent++;
      most = Math.max(most, concurrent);
      await sleep(15);
      concurrent--;
      if (runs === 2) throw new Error('one bad run');
    }, 1);
    await sleep(150);
    await repeating.stop();
    const after = runs;
    await sleep(50);
    expect(after).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
    expect(runs).toBe(after);
    expect(concurrent).toBe(0);
  });
});
