import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { databaseUnavailable, inputRefusedByDatabase } from '../database-errors.ts';
import { contextFrom, inSpan, SpanKind, SpanStatusCode, type TextMapGetter, tracingOn } from '../tracing.ts';
import { type FieldError, HttpProblem, problemResponse } from './problem.ts';

/**
 * Every error as RFC 9457 problem+json: an HttpProblem as it is, what `translate` recognises (a
 * service's domain errors, a dependency down) as it says, input PostgreSQL refused (a data
 * exception, a foreign key to nothing, a CHECK; database-errors.ts) as a 400 that names what was
 * refused, logged at warn without the value; PostgreSQL unreachable as 503 with Retry-After,
 * anything else a logged 500 that shows nothing of the cause; unknown routes are 404 problems too.
 */
export function problemErrors(
  app: Hono,
  { log, translate }: { log: Logger; translate?: (error: unknown, c: Context) => HttpProblem | undefined },
): void {
  app.onError((error, c) => {
    const problem = error instanceof HttpProblem ? error : translate?.(error, c);
    if (problem) return problemResponse(c, problem.problem, problem.headers);
    const refused = inputRefusedByDatabase(error);
    if (refused) {
      // Validation let it through: worth a look, but the caller's input is at fault. Never the message: it may quote the value.
      log.warn({ database: refused.fields, method: c.req.method, path: c.req.path }, 'the database refused input that passed validation');
      return problemResponse(c, new HttpProblem(400, 'Invalid request', refused.detail).problem);
    }
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
const utf8 = new TextDecoder('utf-8', { fatal: true });
const maxTextErrors = 20;

/** Why a string cannot be taken as text: U+0000, which PostgreSQL text cannot hold, or a surrogate without its pair, which is not Unicode. */
function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'holds U+0000 (NUL), which text here cannot hold';
  if (!text.isWellFormed()) return 'holds an unpaired UTF-16 surrogate (such as \\ud800 alone), which is not Unicode text';
  return undefined;
}

/** A place in a JSON value: its name (a property, an index) under its parent, the root none. */
interface Place {
  name?: string;
  parent?: Place;
}

/** A field's path as problem errors name it (a.b.0.c), a name that is not text itself escaped as JSON would. */
function pathOf(place: Place): string {
  const parts: string[] = [];
  for (let at: Place | undefined = place; at?.name !== undefined; at = at.parent)
    parts.push(textProblem(at.name) ? JSON.stringify(at.name).slice(1, -1) : at.name);
  return parts.length === 0 ? '(body)' : parts.reverse().join('.');
}

/**
 * Every string of a JSON value, names included, that is not text a service can keep: each by its
 * path (at most 20). Iterative and linear, so no nesting a body limit allows can exhaust the stack.
 */
export function untextualStrings(value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: { value: unknown; place: Place }[] = [{ value, place: {} }];
  while (pending.length > 0 && found.length < maxTextErrors) {
    const { value: node, place } = pending.pop() as { value: unknown; place: Place };
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) found.push({ path: pathOf(place), message: problem });
    } else if (typeof node === 'object' && node !== null) {
      const entries = Array.isArray(node) ? node.map((item, i) => [String(i), item] as const) : Object.entries(node);
      for (const [name, item] of entries.reverse()) {
        const child = { name, parent: place };
        const problem = Array.isArray(node) ? undefined : textProblem(name);
        if (problem) found.push({ path: pathOf(child), message: `its name ${problem}` });
        pending.push({ value: item, place: child });
      }
    }
  }
  return found.slice(0, maxTextErrors);
}

/**
 * The body as JSON: another content type is 415; bytes that are not UTF-8, malformed JSON, or a
 * string (value or name) with U+0000 or an unpaired surrogate are 400 — the last naming every such
 * field by its path, never its value. PostgreSQL's text cannot hold U+0000 at all, and a lone
 * surrogate would be stored as U+FFFD without a word: refused here, once, for every service.
 */
export async function readJson(c: {
  req: { header: (n: string) => string | undefined; arrayBuffer: () => Promise<ArrayBuffer> };
}): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!jsonTypes.includes(type))
    throw new HttpProblem(415, 'Unsupported media type', `send application/json, not ${type || 'a body without a content type'}`);
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpProblem(400, 'Malformed JSON', 'the body is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Malformed JSON', (error as Error).message);
  }
  const errors = untextualStrings(value);
  if (errors.length > 0)
    throw new HttpProblem(
      400,
      'Invalid request',
      `the request body has ${errors.length === 1 ? 'a string' : 'strings'} that cannot be taken as text`,
      { errors },
    );
  return value;
}
