import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { JWK } from 'jose';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { requireRole, type TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody, observeRequests, problemErrors, readJson } from '../../lib/http/hono.ts';
import { HttpProblem, invalid, withHeaders } from '../../lib/http/problem.ts';
import { email, phoneNumber, tenantId } from '../teachers/schema.ts';
import { publicUser, type UserRow } from './accounts.ts';
import { type Auth, InvalidActivation, LoginRefused, TooManyAttempts, WeakPassword } from './auth.ts';

/** What the API needs once the database is migrated and the signing key loaded. */
export interface IdentityState {
  auth: Auth;
  /** The public keys tokens are signed with. */
  jwks: { keys: JWK[] };
  /** Verifies bearer tokens for the administrators' endpoints. */
  verify: TokenVerifier;
}

export interface IdentityApiDeps {
  pool: pg.Pool;
  /** Undefined until start-up has reached the database: until then every route but health is 503. */
  state: () => IdentityState | undefined;
  /** Requests come through a proxy of ours that appends to X-Forwarded-For (an ingress). Default false. */
  trustProxy?: boolean;
  registry: Registry;
  health: Health;
  log: Logger;
}

const activation = z.strictObject({ token: z.string().min(1).max(200), password: z.string().min(1).max(1024) });
const login = z
  .strictObject({ tenantId, email: email.optional(), phoneNumber: phoneNumber.optional(), password: z.string().min(1).max(1024) })
  .refine((l) => (l.email === undefined) !== (l.phoneNumber === undefined), 'give exactly one of email and phoneNumber');
const lookup = z
  .strictObject({ tenantId, email: email.optional(), phoneNumber: phoneNumber.optional() })
  .refine((l) => (l.email === undefined) !== (l.phoneNumber === undefined), 'give exactly one of email and phoneNumber');

const maxBodyBytes = 8 * 1024;

/**
 * The caller's address: the socket's, or behind a proxy we run (trustProxy), the last address that
 * proxy appended to X-Forwarded-For — the earlier ones anyone can send.
 */
export function clientAddress(c: Context, trustProxy = false): string {
  const forwarded = c.req.header('x-forwarded-for');
  if (trustProxy && forwarded) return forwarded.split(',').at(-1)?.trim() || 'unknown';
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * identity's HTTP API. Public: POST /api/v1/auth/activate, POST /api/v1/auth/login,
 * GET /.well-known/jwks.json (and health). Administrators only: GET /api/v1/users.
 * No response carries a password, a hash or an activation token; request bodies are never logged.
 */
export function identityApi(deps: IdentityApiDeps): Hono {
  const app = new Hono();
  app.use(observeRequests(deps.registry));
  problemErrors(app, {
    log: deps.log,
    translate(error) {
      if (error instanceof InvalidActivation) return new HttpProblem(400, 'Invalid activation', error.message);
      if (error instanceof WeakPassword) return new HttpProblem(422, 'Password refused', error.message);
      if (error instanceof LoginRefused)
        return withHeaders(new HttpProblem(401, 'Unauthorized', error.message), { 'WWW-Authenticate': 'Bearer' });
      if (error instanceof TooManyAttempts)
        return withHeaders(new HttpProblem(429, 'Too many requests', error.message), { 'Retry-After': String(error.retryAfterSeconds) });
      return undefined;
    },
  });
  healthRoutes(app, deps);
  const state = () => {
    const current = deps.state();
    if (!current)
      throw withHeaders(new HttpProblem(503, 'Service unavailable', 'identity is starting; retry shortly'), { 'Retry-After': '2' });
    return current;
  };
  app.get('/.well-known/jwks.json', (c) => c.json(state().jwks, 200, { 'cache-control': 'public, max-age=300' }));

  const api = new Hono();
  api.use(limitBody(maxBodyBytes));

  api.post('/auth/activate', async (c) => {
    const parsed = activation.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    await state().auth.activate(parsed.data.token, parsed.data.password, clientAddress(c, deps.trustProxy));
    return c.body(null, 204);
  });

  api.post('/auth/login', async (c) => {
    const parsed = login.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    return c.json(await state().auth.login(parsed.data, clientAddress(c, deps.trustProxy)), 200, { 'cache-control': 'no-store' });
  });

  api.get(
    '/users',
    requireRole((token) => state().verify(token), 'admin'),
    async (c) => {
      const parsed = lookup.safeParse(c.req.query());
      if (!parsed.success) throw invalid(parsed.error, 'query');
      const { tenantId: tenant, email: byEmail, phoneNumber: byPhone } = parsed.data;
      const { rows } = await deps.pool.query<UserRow>(
        byEmail
          ? 'SELECT * FROM users WHERE tenant_id = $1 AND email = $2 ORDER BY created_at'
          : 'SELECT * FROM users WHERE tenant_id = $1 AND phone_number = $2 ORDER BY created_at',
        [tenant, byEmail ?? byPhone],
      );
      return c.json({ items: rows.map(publicUser) });
    },
  );

  app.route('/api/v1', api);
  return app;
}
