import type { MiddlewareHandler } from 'hono';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * http_requests_total and http_request_duration_seconds by route: the template, not the path, so
 * ids in paths do not make a series each.
 */
export function requestMetrics(registry: Registry): MiddlewareHandler {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['method', 'route'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return async (c, next) => {
    const stop = latency.startTimer();
    const method = c.req.method;
    await next();
    const route = c.req.routePath || 'unmatched';
    stop({ method, route });
    requests.inc({ method, route, status: String(c.res.status) });
  };
}
