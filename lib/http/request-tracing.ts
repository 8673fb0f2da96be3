import type { Context, MiddlewareHandler } from 'hono';
import { contextFrom, inSpan, SpanKind, SpanStatusCode, type TextMapGetter, tracingOn } from '../tracing.ts';

const headers: TextMapGetter<Context> = { keys: (c) => Object.keys(c.req.header()), get: (c, key) => c.req.header(key) };

/**
 * With tracing on, a server span per request, the child of the caller's traceparent: what the
 * request writes to the outbox carries it on (encodeEvent).
 */
export function traceRequests(): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    await inSpan(
      `${method} ${c.req.path}`,
      {
        kind: SpanKind.SERVER,
        parent: tracingOn() ? contextFrom(c, headers) : undefined,
        attributes: { 'http.request.method': method, 'url.path': c.req.path },
      },
      async (span) => {
        await next();
        // The route is known once routing ran: the span is named after it, as the conventions say.
        span?.updateName(`${method} ${c.req.routePath || c.req.path}`);
        span?.setAttributes({ 'http.route': c.req.routePath, 'http.response.status_code': c.res.status });
        if (c.res.status >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      },
    );
  };
}
