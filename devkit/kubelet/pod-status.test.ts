import { describe, expect, it } from 'vitest';
import { type PodView, podStatus, termination } from './pod-status.ts';

const t0 = new Date('2026-12-02T00:00:00Z');
const base: PodView = {
  containerName: 'catalog',
  image: 'eventide/catalog:0.1.0',
  startTime: t0,
  container: { state: 'waiting', reason: 'ContainerCreating' },
  restartCount: 0,
  readySince: t0,
};
const conditions = (view: PodView) => Object.fromEntries((podStatus(view).conditions ?? []).map((c) => [c.type, c.status]));

describe('podStatus', () => {
  it('is Pending and not Ready before the process runs', () => {
    expect(podStatus(base).phase).toBe('Pending');
    expect(conditions(base)).toEqual({ PodScheduled: 'True', Initialized: 'True', ContainersReady: 'False', Ready: 'False' });
  });

  it('is Running, and Ready only once readiness passed', () => {
    const running: PodView = { ...base, container: { state: 'running', startedAt: t0, started: true, ready: false } };
    expect(podStatus(running).phase).toBe('Running');
    expect(conditions(running).Ready).toBe('False');
    const ready: PodView = { ...base, container: { state: 'running', startedAt: t0, started: true, ready: true } };
    expect(conditions(ready)).toMatchObject({ Ready: 'True', ContainersReady: 'True' });
    expect(podStatus(ready).containerStatuses?.[0]).toMatchObject({ ready: true, started: true, state: { running: { startedAt: t0 } } });
  });

  it('reports a crash loop with the restart count and the last termination', () => {
    const last = termination('SIGKILL', t0, new Date('2026-12-02T00:01:00Z'));
    expect(last).toMatchObject({ exitCode: 137, signal: 'SIGKILL', reason: 'Error' });
    const looping: PodView = {
      ...base,
      restartCount: 2,
      lastTermination: last,
      container: { state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 20s' },
    };
    const status = podStatus(looping);
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses?.[0]).toMatchObject({
      restartCount: 2,
      ready: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } },
      lastState: { terminated: { exitCode: 137, reason: 'Error' } },
    });
    expect(termination(1, t0, t0)).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(termination(0, t0, t0)).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});
