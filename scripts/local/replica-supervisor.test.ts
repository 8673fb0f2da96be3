import { describe, expect, it } from 'vitest';
import { planReplicas } from './replica-supervisor.ts';

const replica = (id: number, ready = true) => ({ id, ready });

describe('planReplicas', () => {
  it('starts what is missing', () => {
    expect(planReplicas([], 3)).toEqual({ start: 3, stop: [] });
    expect(planReplicas([replica(0)], 2)).toEqual({ start: 1, stop: [] });
  });

  it('does nothing at the desired count', () => {
    expect(planReplicas([replica(0), replica(1)], 2)).toEqual({ start: 0, stop: [] });
  });

  it('stops the youngest first', () => {
    expect(planReplicas([replica(0), replica(4), replica(2)], 1)).toEqual({ start: 0, stop: [4, 2] });
  });

  it('stops replicas that are not ready before ready ones, however old', () => {
    expect(planReplicas([replica(0, false), replica(1), replica(2)], 2)).toEqual({ start: 0, stop: [0] });
  });

  it('stops everything at zero replicas', () => {
    expect(planReplicas([replica(0), replica(1)], 0).stop.sort()).toEqual([0, 1]);
  });
});
