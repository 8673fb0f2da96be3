import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { ControllerLoop, type Reconciler } from './controller.ts';
import { OperatorMetrics } from './metrics.ts';

const log = createLogger('test', 'silent');

/** A reconciler that takes `ms` per call and records how many calls overlap, per key and overall. */
function slowReconciler(ms: number) {
  let inFlight = 0;
  const perKey = new Map<string, number>();
  const seen = { maxInFlight: 0, maxPerKey: 0, calls: 0 };
  const reconciler: Reconciler = {
    name: 'slow',
    keys: () => [],
    async reconcile(key) {
      inFlight++;
      perKey.set(key, (perKey.get(key) ?? 0) + 1);
      seen.calls++;
      seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
      seen.maxPerKey = Math.max(seen.maxPerKey, perKey.get(key) ?? 0);
      await new Promise((r) => setTimeout(r, ms));
      perKey.set(key, (perKey.get(key) ?? 1) - 1);
      inFlight--;
      return undefined;
    },
  };
  return { reconciler, seen };
}

async function drain(loop: ControllerLoop, seen: { calls: number }, calls: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (seen.calls < calls && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await loop.stop();
}

describe('ControllerLoop', () => {
  it('reconciles different keys on several workers at once', async () => {
    const { reconciler, seen } = slowReconciler(30);
    const loop = new ControllerLoop(reconciler, new OperatorMetrics(), log, 60_000, 4);
    loop.start();
    for (let i = 0; i < 8; i++) loop.enqueue(`ns/t${i}`);
    await drain(loop, seen, 8);
    expect(seen.calls).toBe(8);
    expect(seen.maxInFlight).toBe(4);
  });

  it('never gives one key to two workers, however often it is enqueued', async () => {
    const { reconciler, seen } = slowReconciler(20);
    const loop = new ControllerLoop(reconciler, new OperatorMetrics(), log, 60_000, 4);
    loop.start();
    loop.enqueue('ns/a');
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 10; i++) loop.enqueue('ns/a');
    await drain(loop, seen, 2);
    expect(seen.maxPerKey).toBe(1);
    // Added while in flight: queued once more, not ten times.
    expect(seen.calls).toBe(2);
  });

  it('with one worker, works on one key at a time', async () => {
    const { reconciler, seen } = slowReconciler(10);
    const loop = new ControllerLoop(reconciler, new OperatorMetrics(), log, 60_000, 1);
    loop.start();
    for (let i = 0; i < 4; i++) loop.enqueue(`ns/t${i}`);
    await drain(loop, seen, 4);
    expect(seen.maxInFlight).toBe(1);
  });
});

describe('poll lateness', () => {
  it('is observed once per requeued reconcile, as the delay past the requeue time', async () => {
    let calls = 0;
    const metrics = new OperatorMetrics();
    const loop = new ControllerLoop(
      {
        name: 'poller',
        keys: () => [],
        async reconcile() {
          calls++;
          return { requeueAfterMs: 20 };
        },
      },
      metrics,
      log,
      60_000,
    );
    loop.start();
    loop.enqueue('ns/g');
    const deadline = Date.now() + 5_000;
    while (calls < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await loop.stop();
    const histogram = (await metrics.pollLateness.get()).values;
    const count = histogram.find((v) => v.metricName === 'eventide_poll_lateness_seconds_count')?.value ?? 0;
    const sum = histogram.find((v) => v.metricName === 'eventide_poll_lateness_seconds_sum')?.value ?? Number.NaN;
    // The first reconcile was not requeued, so it is not a poll.
    expect(count).toBe(calls - 1);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum / count).toBeLessThan(1);
  });
});
