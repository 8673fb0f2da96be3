import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { requestMetrics } from './request-metrics.ts';

function app() {
  const registry = new Registry();
  const api = new Hono();
  api.use(requestMetrics(registry));
  api.get('/items/:id', (c) => c.json({ id: c.req.param('id') }));
  return { api, registry };
}

describe('requestMetrics', () => {
  it('counts requests by route template, not by path', async () => {
    const { api, registry } = app();
    await api.request('/items/1');
    await api.request('/items/2');
    const metrics = await registry.metrics();
    expect(metrics).toContain('http_requests_total{method="GET",route="/items/:id",status="200"} 2');
    expect(metrics).toContain('http_request_duration_seconds_count{method="GET",route="/items/:id"} 2');
  });
});
