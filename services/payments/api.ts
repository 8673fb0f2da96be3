import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { idempotencyScope, isPlatformAdmin, mayActForMerchant, mayCompletePayments, type Principal } from '../../lib/authorization.ts';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { type Authenticated, authenticate, type TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { idempotencyKey } from '../../lib/http/idempotency-key.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { openApiDocument } from './openapi.ts';
import { merchantInput, pageQuery, paymentInput, withdrawalInput } from './schema.ts';
import { type Answer, Conflict, CurrencyMismatch, NotFound, type PaymentStore } from './store.ts';

export interface PaymentsApiDeps {
  store: PaymentStore;
  /** Verifies identity's bearer tokens: every /api/v1 route needs one. */
  verify: TokenVerifier;
  /** The largest amount of one payment or withdrawal, in minor units. */
  maxAmountMinor: number;
  registry: Registry;
  health: Health;
  log: Logger;
}

/**
 * The payments API under /api/v1/merchants: merchants, their payments (created, then completed)
 * and withdrawals (requested → approved/rejected by the ledger → settled or failed). Money
 * movements need an Idempotency-Key, scoped to the caller; a retry with it gets the first answer
 * and moves nothing.
 *
 * Who may call: every route needs a token. Merchants are created and listed by a platform
 * administrator; a merchant's token reaches its own merchant only (another id answers 404, as an
 * unknown one does); completing a payment needs the payment provider's scope, which no merchant has.
 */
export function paymentsApi(deps: PaymentsApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(deps.registry));
  problemErrors(app, {
    log: deps.log,
    translate(error) {
      if (error instanceof NotFound) return new HttpProblem(404, 'Not found', error.message);
      if (error instanceof Conflict) return new HttpProblem(409, 'Conflict', error.message);
      if (error instanceof CurrencyMismatch) return new HttpProblem(422, 'Currency mismatch', error.message);
      return undefined;
    },
  });
  healthRoutes(app, deps);
  app.get('/openapi.json', (c) => c.json(openApiDocument(deps.maxAmountMinor)));
  const api = new Hono<Authenticated>();
  api.use(limitBody(8 * 1024));
  api.use(authenticate(deps.verify));
  const uuid = (raw: string, what: string) => {
    if (!z.uuid().safeParse(raw).success) throw new NotFound(`no ${what} ${raw} (ids are UUIDs)`);
    return raw.toLowerCase();
  };
  /** The merchant of the path, if the caller may touch it; otherwise the answer an unknown merchant gets. */
  const merchantOf = (c: { req: { param: (n: 'id') => string }; get: (k: 'principal') => Principal }) => {
    const id = uuid(c.req.param('id'), 'merchant');
    if (!mayActForMerchant(c.get('principal'), id)) throw new NotFound(`no merchant ${id}`);
    return id;
  };
  const platformAdmin = (principal: Principal) => {
    if (!isPlatformAdmin(principal)) throw new HttpProblem(403, 'Forbidden', 'this endpoint needs the platform-admin role');
  };
  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw invalid(parsed.error);
    return parsed.data;
  };
  /** The request's key in its caller's scope, over its route and body, so one key cannot stand for two different requests. */
  const keyOf = (
    c: { req: { path: string; header: (n: string) => string | undefined }; get: (k: 'principal') => Principal },
    body: unknown,
    required: boolean,
  ) =>
    idempotencyKey(
      c.req.header('idempotency-key'),
      { path: c.req.path.toLowerCase(), body },
      { required, scope: idempotencyScope(c.get('principal')) },
    );
  const requiredKey = (c: Parameters<typeof keyOf>[0], body: unknown) => {
    const key = keyOf(c, body, true);
    if (!key) throw new HttpProblem(400, 'Invalid request', 'this request needs an Idempotency-Key header');
    return key;
  };
  const answer = <T>(c: { json: (body: T, status: 201 | 200 | 202, headers: Record<string, string>) => Response }, result: Answer<T>) =>
    c.json(result.body, result.status as 201 | 200 | 202, result.replayed ? { 'idempotent-replayed': 'true' } : {});

  api.post('/merchants', async (c) => {
    platformAdmin(c.get('principal'));
    const body = await readJson(c);
    return answer(c, await deps.store.createMerchant(parse(merchantInput, body), keyOf(c, body, false)));
  });
  api.get('/merchants', async (c) => {
    platformAdmin(c.get('principal'));
    const query = pageQuery.safeParse(c.req.query());
    if (!query.success) throw invalid(query.error, 'query');
    return c.json(await deps.store.merchants(query.data.limit, query.data.cursor));
  });
  api.get('/merchants/:id', async (c) => {
    const merchant = await deps.store.merchant(merchantOf(c));
    if (!merchant) throw new NotFound(`no merchant ${c.req.param('id')}`);
    return c.json(merchant);
  });
  api.post('/merchants/:id/payments', async (c) => {
    const body = await readJson(c);
    const input = parse(paymentInput(deps.maxAmountMinor), body);
    return answer(c, await deps.store.createPayment(merchantOf(c), input, requiredKey(c, body)));
  });
  api.post('/merchants/:id/payments/:paymentId/complete', async (c) => {
    if (!mayCompletePayments(c.get('principal')))
      throw new HttpProblem(403, 'Forbidden', "completing a payment needs the payment provider's scope (payments:complete)");
    const key = requiredKey(c, null);
    return answer(c, await deps.store.completePayment(uuid(c.req.param('id'), 'merchant'), uuid(c.req.param('paymentId'), 'payment'), key));
  });
  api.post('/merchants/:id/withdrawals', async (c) => {
    const body = await readJson(c);
    const input = parse(withdrawalInput(deps.maxAmountMinor), body);
    return answer(c, await deps.store.requestWithdrawal(merchantOf(c), input, requiredKey(c, body)));
  });
  for (const [route, table, get] of [
    ['payments', 'payments', (m: string, id: string) => deps.store.payment(m, id)],
    ['withdrawals', 'withdrawals', (m: string, id: string) => deps.store.withdrawal(m, id)],
  ] as const) {
    api.get(`/merchants/:id/${route}`, async (c) => {
      const query = pageQuery.safeParse(c.req.query());
      if (!query.success) throw invalid(query.error, 'query');
      return c.json(await deps.store.list(table, merchantOf(c), query.data.limit, query.data.cursor));
    });
    api.get(`/merchants/:id/${route}/:itemId`, async (c) => {
      const found = await get(merchantOf(c), uuid(c.req.param('itemId'), route.slice(0, -1)));
      if (!found) throw new NotFound(`no ${route.slice(0, -1)} ${c.req.param('itemId')}`);
      return c.json(found);
    });
  }
  app.route('/api/v1', api);
  return app;
}
