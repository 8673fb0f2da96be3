import { type ServerType, serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

export interface HealthServerOptions {
  port: number;
  registry: Registry;
  /** Ready: able to do its job (a standby waiting for the lease is ready too). */
  ready: () => boolean;
}

/** /healthz, /readyz and /metrics for the kubelet and Prometheus. */
export function startHealthServer({ port, registry, ready }: HealthServerOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const app = new Hono();
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) => (ready() ? c.text('ok') : c.text('not ready', 503)));
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
  return new Promise((resolveServer) => {
    const server: ServerType = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' }, (info) =>
      resolveServer({ port: info.port, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });
}
