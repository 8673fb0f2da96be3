import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { idempotencyScope, mayWriteForOrganizer, type Principal } from '../../lib/authorization.ts';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { type Authenticated, authenticate, type TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { etag, parseIfMatch } from '../../lib/http/conditional.ts';
import { idempotencyKey } from '../../lib/http/idempotency-key.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { openApiDocument } from './openapi.ts';
import { eventInput, eventPatch, listQuery } from './schema.ts';
import { decodeCursor, type EventStore, NotFound, VersionConflict } from './store.ts';

export interface CatalogApiDeps {
  store: EventStore;
  /** Verifies identity's bearer tokens: writes need an organizer's (its own events) or a platform administrator's. */
  verify: TokenVerifier;
  registry: Registry;
  /** /healthz and /readyz answer from its checks. */
  health: Health;
  log: Logger;
  /** Largest accepted body, in bytes. */
  maxBodyBytes?: number;
}

/** The version a body may carry for optimistic concurrency (409 when stale), taken out of it. */
function takeVersion(body: unknown): { body: unknown; version?: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('version' in body)) return { body };
  const { version, ...rest } = body as { version: unknown };
  if (!Number.isSafeInteger(version) || (version as number) < 1)
    throw new HttpProblem(400, 'Invalid request', 'version must be a positive integer');
  return { body: rest, version: version as number };
}

/**
 * The catalog's HTTP API under /api/v1, plus health, metrics and its OpenAPI document. Reads are
 * public; a write needs the token of the event's organizer (role organizer, subject = organizerId)
 * or a platform administrator's. Another organizer's event answers 404 to a write, as an unknown one.
 */
export function catalogApi(deps: CatalogApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(deps.registry));
  problemErrors(app, {
    log: deps.log,
    translate(error) {
      if (error instanceof NotFound) return new HttpProblem(404, 'Not found', error.message);
      if (error instanceof z.ZodError) return invalid(error, 'resulting event');
      return undefined;
    },
  });

  healthRoutes(app, deps);
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  const api = new Hono<Authenticated>();
  api.use(limitBody(deps.maxBodyBytes ?? 64 * 1024));
  const writer = authenticate(deps.verify, ['organizer', 'platform-admin']);
  api.on('POST', '/events', writer);
  api.on(['PUT', 'PATCH', 'DELETE'], '/events/:id', writer);
  /** An event the caller may change, or the 404 an unknown one gets; the store writes it as read (one statement). */
  const writable = async (principal: Principal, eventId: string) => {
    const current = await deps.store.get(eventId);
    if (!current || !mayWriteForOrganizer(principal, current.organizerId)) throw new NotFound(`no event ${eventId}`);
    return current;
  };
  const ownOrganizer = (principal: Principal, organizerId: string | undefined) => {
    if (organizerId !== undefined && !mayWriteForOrganizer(principal, organizerId))
      throw new HttpProblem(403, 'Forbidden', 'an organizer writes only its own events (organizerId must be the token subject)');
  };
  const id = (raw: string) => {
    if (!z.uuid().safeParse(raw).success) throw new HttpProblem(404, 'Not found', `no event ${raw} (event ids are UUIDs)`);
    return raw;
  };
  const expected = (header: string | undefined, bodyVersion: number | undefined) => {
    const ifMatch = parseIfMatch(header);
    if (ifMatch === 'invalid') throw new HttpProblem(400, 'Invalid request', 'If-Match must be an ETag such as "3", or *');
    return { ifMatch, bodyVersion };
  };
  /** Runs a write with the versions the client expects: a stale If-Match is 412, a stale body version 409. */
  const guarded = async <T>(versions: { ifMatch?: number; bodyVersion?: number }, write: (expected?: number) => Promise<T>): Promise<T> => {
    try {
      if (versions.ifMatch !== undefined && versions.bodyVersion !== undefined && versions.ifMatch !== versions.bodyVersion) {
        throw new HttpProblem(400, 'Invalid request', 'If-Match and the body version disagree');
      }
      return await write(versions.ifMatch ?? versions.bodyVersion);
    } catch (error) {
      if (!(error instanceof VersionConflict)) throw error;
      if (versions.ifMatch !== undefined)
        throw new HttpProblem(412, 'Precondition failed', error.message, { currentVersion: error.current });
      throw new HttpProblem(409, 'Version conflict', error.message, { currentVersion: error.current });
    }
  };

  api.post('/events', async (c) => {
    const raw = await readJson(c);
    const principal = c.get('principal');
    const idempotency = idempotencyKey(c.req.header('idempotency-key'), raw, { scope: idempotencyScope(principal) });
    const parsed = eventInput.safeParse(raw);
    if (!parsed.success) throw invalid(parsed.error);
    ownOrganizer(principal, parsed.data.organizerId);
    const result = await deps.store.create(parsed.data, c.req.header('traceparent'), idempotency);
    return c.json(result.event, 201, {
      location: `/api/v1/events/${result.event.id}`,
      etag: etag(result.event.version),
      ...(result.kind === 'replayed' ? { 'idempotent-replayed': 'true' } : {}),
    });
  });

  api.get('/events', async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const cursor = parsed.data.cursor === undefined ? undefined : decodeCursor(parsed.data.cursor);
    if (parsed.data.cursor !== undefined && !cursor) throw new HttpProblem(400, 'Invalid request', 'cursor is not one this API returned');
    return c.json(await deps.store.list({ ...parsed.data, cursor }));
  });

  api.get('/events/:id', async (c) => {
    const event = await deps.store.get(id(c.req.param('id')));
    if (!event) throw new NotFound(`no event ${c.req.param('id')}`);
    return c.json(event, 200, { etag: etag(event.version) });
  });

  api.put('/events/:id', async (c) => {
    const eventId = id(c.req.param('id'));
    const { body, version } = takeVersion(await readJson(c));
    const parsed = eventInput.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const current = await writable(c.get('principal'), eventId);
    ownOrganizer(c.get('principal'), parsed.data.organizerId);
    const event = await guarded(expected(c.req.header('if-match'), version), (v) =>
      deps.store.replace(current, parsed.data, v, c.req.header('traceparent')),
    );
    return c.json(event, 200, { etag: etag(event.version) });
  });

  api.patch('/events/:id', async (c) => {
    const eventId = id(c.req.param('id'));
    const { body, version } = takeVersion(await readJson(c));
    const parsed = eventPatch.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error);
    const current = await writable(c.get('principal'), eventId);
    ownOrganizer(c.get('principal'), (parsed.data as { organizerId?: string }).organizerId);
    const event = await guarded(expected(c.req.header('if-match'), version), (v) =>
      deps.store.patch(current, parsed.data, v, c.req.header('traceparent')),
    );
    return c.json(event, 200, { etag: etag(event.version) });
  });

  api.delete('/events/:id', async (c) => {
    const eventId = id(c.req.param('id'));
    const current = await writable(c.get('principal'), eventId);
    await guarded(expected(c.req.header('if-match'), undefined), (v) => deps.store.delete(current, v, c.req.header('traceparent')));
    return c.body(null, 204);
  });

  app.route('/api/v1', api);
  return app;
}
