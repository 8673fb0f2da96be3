import { describe, expect, it } from 'vitest';
import { kubeletBackoff, ProbeCounter, probeTiming, restartDelayMs } from './probe-state.ts';

describe('probes and restarts', () => {
  it("fills in the API's probe defaults", () => {
    expect(probeTiming({ httpGet: { path: '/', port: 80 } })).toEqual({
      initialDelayMs: 0,
      periodMs: 10_000,
      timeoutMs: 1_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(probeTiming({ periodSeconds: 5, failureThreshold: 2, timeoutSeconds: 2 })).toMatchObject({
      periodMs: 5_000,
      failureThreshold: 2,
      timeoutMs: 2_000,
    });
  });

  it('flips only after consecutive outcomes reach a threshold', () => {
    const counter = new ProbeCounter({ successThreshold: 2, failureThreshold: 3 });
    expect(counter.record(true)).toBeUndefined();
    expect(counter.record(true)).toBe(true);
    expect(counter.record(false)).toBe(true);
    expect(counter.record(false)).toBe(true);
    expect(counter.record(true)).toBe(true);
    expect([counter.record(false), counter.record(false), counter.record(false)]).toEqual([true, true, false]);
    expect(counter.record(true)).toBe(false);
    expect(counter.record(true)).toBe(true);
  });

  it('backs off as the kubelet does: 10 s doubling, capped at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => restartDelayMs(n, kubeletBackoff) / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
    expect(restartDelayMs(0, kubeletBackoff)).toBe(0);
  });
});
