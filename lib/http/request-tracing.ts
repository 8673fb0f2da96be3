import type { Context, MiddlewareHandler } from 'hono';
import { contextFrom, inSampledSpan, SpanKind, SpanStatusCode, type TextMapGetter, tracingOn, untraced } from '../tracing.ts';

const headers: TextMapGetter<Context> = { keys: (c) => Object.keys(c.req.header()), get: (c, key) => c.req.header(key) };

/** The kubelet's and Prometheus's paths (lib/health.ts): asked every few seconds, never a trace. */
const probes = new Set(['/healthz', '/readyz', '/metrics']);

/** Whether a request to `path` is traced: every one but the probes'. */
export const traced = (path: string): boolean => !probes.has(path);

/**
 * With tracing on, a server span per request, the child of the caller's traceparent: what the
 * request writes to the outbox carries it on (encodeEvent). A dropped trace (the caller's, or a
 * new one the sampler drops) gets no span, its context carries the decision on; a probe gets no trace at all.
 */
export function traceRequests(): MiddlewareHandler {
  return async (c, next) => {
    if (!tracingOn()) return next();
    if (!traced(c.req.path)) return untraced(next);
    const method = c.req.method;
    await inSampledSpan(
      `${method} ${c.req.path}`,
      { kind: SpanKind.SERVER, parent: contextFrom(c, headers), attributes: { 'http.request.method': method, 'url.path': c.req.path } },
      async (span) => {
        await next();
        // A trace the sampler dropped: no span to name or describe.
        if (!span?.isRecording()) return;
        // The route is known once routing ran: the span is named after it, as the conventions say.
        span.updateName(`${method} ${c.req.routePath || c.req.path}`);
        span.setAttributes({ 'http.route': c.req.routePath, 'http.response.status_code': c.res.status });
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      },
    );
  };
}
