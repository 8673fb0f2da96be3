import { describe, expect, it } from 'vitest';
import { describeReplacement, planReplicas } from './replica-supervisor.ts';

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

describe('describeReplacement', () => {
  const died = { name: 'search-indexer-3', pid: 4242 };

  it('names the process, its exit code and its replacement', () => {
    expect(describeReplacement({ ...died, exit: 1, replacement: 'search-indexer-5' })).toBe(
      'search-indexer-3 (pid 4242) exited with code 1; started search-indexer-5 in its place',
    );
  });

  it('names the signal that killed it', () => {
    expect(describeReplacement({ ...died, exit: 'SIGKILL', replacement: 'search-indexer-5' })).toBe(
      'search-indexer-3 (pid 4242) was killed by SIGKILL; started search-indexer-5 in its place',
    );
  });

  it('says so when the Deployment no longer wants it', () => {
    expect(describeReplacement({ ...died, exit: 0 })).toBe(
      'search-indexer-3 (pid 4242) exited with code 0; not replaced: the Deployment wants fewer replicas now',
    );
  });

  it('reports a process that could not start', () => {
    expect(describeReplacement({ ...died, exit: new Error("'node' was not found on PATH"), replacement: 'search-indexer-5' })).toBe(
      "search-indexer-3 (pid 4242) failed: 'node' was not found on PATH; started search-indexer-5 in its place",
    );
  });
});
