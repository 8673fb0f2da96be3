import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { mayManageTenant, type Principal } from '../../lib/authorization.ts';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { type Authenticated, authenticate, type TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { etag, expectedVersion } from '../../lib/http/conditional.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { openApiDocument } from './openapi.ts';
import { listQuery, teacherInput, teacherPatch } from './schema.ts';
import { decodeCursor, EmailTaken, NotFound, type TeacherStore, VersionConflict } from './store.ts';

export interface TeachersApiDeps {
  store: TeacherStore;
  /** Verifies identity's bearer tokens; every /api/v1 route needs a tenant admin (its tenant only) or a platform-admin. */
  verify: TokenVerifier;
  /** The tenants (schools) that exist; another tenant id is 422. */
  tenants: ReadonlySet<string>;
  registry: Registry;
  health: Health;
  log: Logger;
}

const maxBodyBytes = 16 * 1024;

/**
 * The teachers API under /api/v1/teachers, plus health and metrics. A tenant's administrator
 * manages its own tenant's teachers, a platform administrator every tenant's; to a tenant
 * administrator another tenant does not exist (422 unknown tenant, 404 for its teachers).
 */
export function teachersApi(deps: TeachersApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(deps.registry));
  problemErrors(app, {
    log: deps.log,
    translate(error, _c) {
      if (error instanceof NotFound) return new HttpProblem(404, 'Not found', error.message);
      if (error instanceof EmailTaken) return new HttpProblem(409, 'E-mail taken', error.message);
      if (error instanceof VersionConflict)
        return new HttpProblem(412, 'Precondition failed', error.message, { currentVersion: error.current });
      return undefined;
    },
  });
  healthRoutes(app, deps);
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  const api = new Hono<Authenticated>();
  api.use(limitBody(maxBodyBytes));
  api.use(authenticate(deps.verify, ['admin', 'platform-admin']));
  const knownTenant = (principal: Principal, tenantId: string) => {
    if (!deps.tenants.has(tenantId) || !mayManageTenant(principal, tenantId))
      throw new HttpProblem(422, 'Unknown tenant', `no tenant ${tenantId}`);
  };
  /** A teacher the caller may manage, or the 404 an unknown one gets; the store writes it as read (one statement). */
  const managed = async (principal: Principal, teacherId: string) => {
    const found = await deps.store.get(teacherId);
    if (!found || !mayManageTenant(principal, found.tenantId)) throw new NotFound(`no teacher ${teacherId}`);
    return found;
  };
  const id = (raw: string) => {
    if (!z.uuid().safeParse(raw).success) throw new NotFound(`no teacher ${raw} (teacher ids are UUIDs)`);
    return raw;
  };

  api.post('/teachers', async (c) => {
    const parsed = teacherInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    knownTenant(c.get('principal'), parsed.data.tenantId);
    const created = await deps.store.create(parsed.data, c.req.header('traceparent'));
    return c.json(created, 201, { location: `/api/v1/teachers/${created.id}`, etag: etag(created.version) });
  });

  api.get('/teachers', async (c) => {
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    knownTenant(c.get('principal'), parsed.data.tenantId);
    const after = parsed.data.cursor === undefined ? undefined : decodeCursor(parsed.data.cursor);
    if (parsed.data.cursor !== undefined && !after) throw new HttpProblem(400, 'Invalid request', 'cursor is not one this API returned');
    return c.json(await deps.store.list({ tenantId: parsed.data.tenantId, limit: parsed.data.limit, after }));
  });

  api.get('/teachers/:id', async (c) => {
    const found = await managed(c.get('principal'), id(c.req.param('id')));
    return c.json(found, 200, { etag: etag(found.version) });
  });

  api.patch('/teachers/:id', async (c) => {
    const teacherId = id(c.req.param('id'));
    const version = expectedVersion(c.req.header('if-match'));
    const parsed = teacherPatch.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const current = await managed(c.get('principal'), teacherId);
    const updated = await deps.store.update(current, parsed.data, version, c.req.header('traceparent'));
    return c.json(updated, 200, { etag: etag(updated.version) });
  });

  api.delete('/teachers/:id', async (c) => {
    const teacherId = id(c.req.param('id'));
    const current = await managed(c.get('principal'), teacherId);
    await deps.store.delete(current, expectedVersion(c.req.header('if-match')), c.req.header('traceparent'));
    return c.body(null, 204);
  });

  app.route('/api/v1', api);
  return app;
}
