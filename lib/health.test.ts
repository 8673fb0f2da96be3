import { Hono } from 'hono';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Health, healthRoutes, startHealthServer } from './health.ts';

function app(health: Health, registry = new Registry()) {
  const hono = new Hono();
  healthRoutes(hono, { health, registry });
  return hono;
}

describe('Health.report', () => {
  it('is ok with no checks', async () => {
    expect(await new Health().report('ready')).toEqual({ ok: true, text: 'ok' });
  });

  it('needs every check of the kind to pass, and lists the failing ones with details', async () => {
    const health = new Health()
      .ready('cache', () => true)
      .ready('kafka', async () => ({ ok: false, detail: 'no broker' }))
      .ready('db', () => false)
      .ready('es', () => {
        throw new Error('connection refused');
      })
      .live('loop', () => ({ ok: true }));
    expect(await health.report('ready')).toEqual({ ok: false, text: 'kafka: no broker\ndb: failed\nes: connection refused' });
    expect(await health.report('live')).toEqual({ ok: true, text: 'ok' });
  });

  it('counts a rejected check as failed', async () => {
    const health = new Health().live('stuck', () => Promise.reject(new Error('timed out')));
    expect(await health.report('live')).toEqual({ ok: false, text: 'stuck: timed out' });
  });

  it('counts a check that does not answer in time as failed, and answers anyway', async () => {
    const health = new Health({ timeoutMs: 50 }).ready('hung', () => new Promise<boolean>(() => undefined)).ready('fine', () => true);
    const started = Date.now();
    expect(await health.report('ready')).toEqual({ ok: false, text: 'hung: no answer within 50 ms' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('asks again each time: a check registered again under its name replaces the first', async () => {
    let ready = false;
    const health = new Health().ready('synced', () => false).ready('synced', () => ready);
    expect((await health.report('ready')).ok).toBe(false);
    ready = true;
    expect((await health.report('ready')).ok).toBe(true);
  });
});

describe('healthRoutes', () => {
  it('answers /healthz and /readyz with 200 or 503 and the report', async () => {
    let synced = false;
    const hono = app(new Health().ready('caches', () => ({ ok: synced, detail: 'caches not synced' })));
    const live = await hono.request('/healthz');
    expect([live.status, await live.text()]).toEqual([200, 'ok']);
    const notReady = await hono.request('/readyz');
    expect([notReady.status, await notReady.text()]).toEqual([503, 'caches: caches not synced']);
    synced = true;
    const ready = await hono.request('/readyz');
    expect([ready.status, await ready.text()]).toEqual([200, 'ok']);
  });

  it('fails /healthz when a liveness check fails', async () => {
    const response = await app(new Health().live('loop', () => false)).request('/healthz');
    expect(response.status).toBe(503);
  });

  it('serves the registry on /metrics in its content type', async () => {
    const registry = new Registry();
    new Counter({ name: 'things_total', help: 'things', registers: [registry] }).inc(3);
    const response = await app(new Health(), registry).request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(await response.text()).toContain('things_total 3');
  });
});

describe('startHealthServer', () => {
  it('serves on a free port for port 0, and closes', async () => {
    const server = await startHealthServer({ port: 0, hostname: '127.0.0.1', health: new Health(), registry: new Registry() });
    try {
      expect(server.port).toBeGreaterThan(0);
      const response = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect([response.status, await response.text()]).toEqual([200, 'ok']);
    } finally {
      await server.close();
    }
  });

  it('fails to start when the port is taken', async () => {
    const options = { port: 0, hostname: '127.0.0.1', health: new Health(), registry: new Registry() };
    const first = await startHealthServer(options);
    try {
      await expect(startHealthServer({ ...options, port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});
