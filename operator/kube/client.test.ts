import { describe, expect, it } from 'vitest';
import { resourceOf, retryDelayMs } from './client.ts';

describe('resourceOf', () => {
  it.each([
    ['https://k:6443/apis/eventide.dev/v1alpha1/namespaces/a/topics/b/status', 'topics/status'],
    ['https://k:6443/apis/eventide.dev/v1alpha1/namespaces/a/topics?limit=500', 'topics'],
    ['https://k:6443/apis/apps/v1/namespaces/a/deployments/web/scale', 'deployments/scale'],
    ['https://k:6443/api/v1/namespaces/a/events', 'events'],
    ['https://k:6443/apis/eventide.dev/v1alpha1/topics', 'topics'],
    ['https://k:6443/api/v1/namespaces', 'namespaces'],
    ['https://k:6443/api/v1/namespaces/a', 'namespaces'],
  ])('%s → %s', (url, resource) => {
    expect(resourceOf(url)).toBe(resource);
  });
});

describe('retryDelayMs', () => {
  it("waits at least as long as the API server's Retry-After asks, plus a share of a backoff", () => {
    expect(retryDelayMs('3', 0, () => 0)).toBe(3250);
    expect(retryDelayMs('3', 0, () => 1)).toBe(3000);
  });
  it('spreads the retries of one burst instead of sending them back together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs('1', 3)));
    expect(delays.size).toBeGreaterThan(10);
  });
  it('backs off by itself without one, growing with each attempt', () => {
    expect(retryDelayMs(undefined, 0, () => 0)).toBe(250);
    expect(retryDelayMs(undefined, 4, () => 0)).toBe(250 * 2 ** 4);
  });
  it('never waits more than 30 s, whatever is asked', () => {
    expect(retryDelayMs('3600', 0)).toBe(30_000);
  });
});
