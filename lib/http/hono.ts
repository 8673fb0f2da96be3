import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { databaseUnavailable } from '../database-errors.ts';
import { contextFrom, inSpan, SpanKind, SpanStatusCode, type TextMapGetter, tracingOn } from '../tracing.ts';
import { HttpProblem, problemResponse } from './problem.ts';

/**
 * Every error as RFC 9457 problem+json: an HttpProblem as it is, what `translate` recognises (a
 * service's domain errors, a dependency down) as it says, PostgreSQL unreachable as 503 with
 * Retry-After, anything else a logged 500 that shows nothing of the cause; unknown routes are 404
 * problems too.
 */
export function problemErrors(
  app: Hono,
  { log, translate }: { log: Logger; translate?: (error: unknown, c: Context) => HttpProblem | undefined },
): void {
  app.onError((error, c) => {
    const problem = error instanceof HttpProblem ? error : translate?.(error, c);
    if (problem) return problemResponse(c, problem.problem, problem.headers);
    if (databaseUnavailable(error)) {
      log.warn({ err: error, path: c.req.path }, 'database unavailable');
      const unavailable = new HttpProblem(503, 'Service unavailable', 'the database is unavailable; retry shortly');
      return problemResponse(c, unavailable.problem, { 'Retry-After': '1' });
    }
    log.error({ err: error, path: c.req.path }, 'request failed');
    return problemResponse(c, new HttpProblem(500, 'Internal error', 'the request failed; it was logged').problem);
  });
  app.notFound((c) => problemResponse(c, new HttpProblem(404, 'Not found', `no route for ${c.req.method} ${c.req.path}`).problem));
}

/** Refuses bodies over `maxBytes` with a 413 problem. */
export const limitBody = (maxBytes: number): MiddlewareHandler =>
  bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(c, new HttpProblem(413, 'Payload too large', `bodies are limited to ${maxBytes} bytes`).problem),
  });

/**
 * http_requests_total and http_request_duration_seconds by route (the template, not the path), and
 * with tracing on a server span per request, the child of the caller's traceparent: what the
 * request writes to the outbox carries it on (encodeEvent).
 */
export function observeRequests(registry: Registry): MiddlewareHandler {
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
  const headers: TextMapGetter<Context> = { keys: (c) => Object.keys(c.req.header()), get: (c, key) => c.req.header(key) };
  return async (c, next) => {
    const stop = latency.startTimer();
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
    const route = c.req.routePath || 'unmatched';
    stop({ method, route });
    requests.inc({ method, route, status: String(c.res.status) });
  };
}

const jsonTypes = ['application/json', 'application/merge-patch+json'];

/** The body as JSON: another content type is 415, malformed JSON 400. */
export async function readJson(c: { req: { header: (n: string) => string | undefined; text: () => Promise<string> } }): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!jsonTypes.includes(type))
    throw new HttpProblem(415, 'Unsupported media type', `send application/json, not ${type || 'a body without a content type'}`);
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Malformed JSON', (error as Error).message);
  }
}
