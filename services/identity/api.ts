import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { JWK } from 'jose';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Health, healthRoutes } from '../../lib/health.ts';
import type { TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { HttpProblem, invalid, withHeaders } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { type Accounts, AdminExists } from './accounts.ts';
import { adminApi } from './admin-api.ts';
import { type Auth, InvalidActivation, LoginRefused, TooManyAttempts, WeakPassword } from './auth.ts';
import type { ClientCredentialsGrant } from './client-grant.ts';
import { ClientNotFound, ClientRevoked, type Clients } from './clients.ts';
import { openApiDocument } from './openapi.ts';
import { HashingBusy } from './passwords.ts';
import { accountInput, activationInput, loginInput } from './schema.ts';
import { jwksMaxAgeSeconds } from './signing-keys.ts';
import { oauthError, tokenRequestOf } from './token-request.ts';

/** What the API needs once the database is migrated and the signing keys loaded. */
export interface IdentityState {
  auth: Auth;
  clients: Clients;
  grant: ClientCredentialsGrant;
  /** The public keys that may verify a live token. */
  jwks: () => { keys: JWK[] };
  /** Verifies bearer tokens for the administrators' endpoints. */
  verify: TokenVerifier;
}

export interface IdentityApiDeps {
  pool: pg.Pool;
  /** Undefined until start-up has reached the database: until then every route but health and the document is 503. */
  state: () => IdentityState | undefined;
  accounts: Accounts;
  /** The tenants (schools) that exist: an administrator of another is 422. */
  tenants: ReadonlySet<string>;
  /** Requests come through a proxy of ours that appends to X-Forwarded-For (an ingress). Default false. */
  trustProxy?: boolean;
  registry: Registry;
  health: Health;
  log: Logger;
}

const maxBodyBytes = 8 * 1024;

/** The same answer whether or not the address has an account waiting: addresses cannot be probed. */
export const resendAnswer = { detail: 'if an account of this address waits for activation, a new activation message is on its way' };

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
 * identity's HTTP API (openapi.ts lists every route and who may call it). Public: activation,
 * resending it, login, the client-credentials token endpoint, the JWKS and the document; the
 * rest is admin-api.ts. No response carries a password, a hash or an activation token (a
 * client's secret only when made); request bodies are never logged.
 */
export function identityApi(deps: IdentityApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(deps.registry));
  problemErrors(app, {
    log: deps.log,
    translate(error) {
      if (error instanceof InvalidActivation) return new HttpProblem(400, 'Invalid activation', error.message);
      if (error instanceof WeakPassword) return new HttpProblem(422, 'Password refused', error.message);
      if (error instanceof LoginRefused)
        return withHeaders(new HttpProblem(401, 'Unauthorized', error.message), { 'WWW-Authenticate': 'Bearer' });
      if (error instanceof TooManyAttempts)
        return withHeaders(new HttpProblem(429, 'Too many requests', error.message), { 'Retry-After': String(error.retryAfterSeconds) });
      // A login storm: more passwords to check than identity has memory for at once.
      if (error instanceof HashingBusy)
        return withHeaders(new HttpProblem(503, 'Service unavailable', error.message), { 'Retry-After': String(error.retryAfterSeconds) });
      if (error instanceof AdminExists) return new HttpProblem(409, 'Administrator exists', error.message);
      if (error instanceof ClientNotFound) return new HttpProblem(404, 'Not found', error.message);
      if (error instanceof ClientRevoked) return new HttpProblem(409, 'Client revoked', error.message);
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
  app.get('/.well-known/jwks.json', (c) => c.json(state().jwks(), 200, { 'cache-control': `public, max-age=${jwksMaxAgeSeconds}` }));
  app.get('/openapi.json', (c) => c.json(openApiDocument()));

  app.post('/oauth/token', limitBody(maxBodyBytes), async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded')
      throw oauthError('invalid_request', 'send the parameters as application/x-www-form-urlencoded');
    const request = tokenRequestOf(new URLSearchParams(await c.req.text()), c.req.header('authorization'));
    const answer = await state().grant.token(request, clientAddress(c, deps.trustProxy));
    return c.json(answer, 200, { 'cache-control': 'no-store', pragma: 'no-cache' });
  });

  const api = new Hono();
  api.use(limitBody(maxBodyBytes));

  api.post('/auth/activate', async (c) => {
    const parsed = activationInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    await state().auth.activate(parsed.data.token, parsed.data.password, clientAddress(c, deps.trustProxy));
    return c.body(null, 204);
  });

  api.post('/auth/activation/resend', async (c) => {
    const parsed = accountInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    await state().auth.resendActivation(parsed.data.tenantId, parsed.data.email, clientAddress(c, deps.trustProxy));
    return c.json(resendAnswer, 202);
  });

  api.post('/auth/login', async (c) => {
    const parsed = loginInput.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const { tenantId, email, password } = parsed.data;
    return c.json(await state().auth.login({ tenantId, email, password }, clientAddress(c, deps.trustProxy)), 200, {
      'cache-control': 'no-store',
    });
  });

  api.route('/', adminApi({ ...deps, clients: () => state().clients, verify: (token) => state().verify(token) }));
  app.route('/api/v1', api);
  return app;
}
