import { Hono } from 'hono';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { mayActForMerchant } from '../../lib/authorization.ts';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { type Authenticated, authenticate, type TokenVerifier } from '../../lib/http/bearer.ts';
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../../lib/http/cursor.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { minorFromDb } from '../payments/money.ts';
import { balanceOf } from './ledger.ts';
import { openApiDocument } from './openapi.ts';
import { entriesQuery } from './schema.ts';

/** Entries are listed in (created_at, id) order: a cursor is the last one's, and only one this API wrote is taken back. */
const encodeCursor = (createdAt: Date, id: string) => encodeTimeIdCursor(createdAt.toISOString(), id);

export interface LedgerApiDeps {
  db: pg.Pool;
  /** Verifies identity's bearer tokens: a merchant reads its own books, a platform administrator any. */
  verify: TokenVerifier;
  registry: Registry;
  health: Health;
  log: Logger;
}

/** The ledger's read API: a merchant's balances and journal (its own token or a platform administrator's), plus health and metrics. */
export function ledgerApi({ db, verify, registry, health, log }: LedgerApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(registry));
  problemErrors(app, { log });
  healthRoutes(app, { health, registry });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  const api = new Hono<Authenticated>();
  api.use(authenticate(verify));
  /** The merchant of the path if the caller may read it; otherwise the answer an unknown merchant gets. */
  const merchant = (c: { req: { param: (n: 'id') => string }; get: (k: 'principal') => Parameters<typeof mayActForMerchant>[0] }) => {
    const raw = c.req.param('id');
    if (!z.uuid().safeParse(raw).success || !mayActForMerchant(c.get('principal'), raw))
      throw new HttpProblem(404, 'Not found', `no merchant ${raw}`);
    return raw.toLowerCase();
  };

  api.get('/merchants/:id/balance', async (c) => {
    const balance = await balanceOf(db, merchant(c));
    if (!balance) throw new HttpProblem(404, 'Not found', `the ledger has no accounts for merchant ${c.req.param('id')} yet`);
    return c.json(balance);
  });

  api.get('/merchants/:id/entries', async (c) => {
    const id = merchant(c);
    const parsed = entriesQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const after = parsed.data.cursor === undefined ? undefined : decodeTimeIdCursor(parsed.data.cursor);
    if (parsed.data.cursor !== undefined && !after) throw new HttpProblem(400, 'Invalid request', 'cursor is not one this API returned');
    const { rows } = await db.query<{ id: string; description: string; created_at: Date; lines: { account: string; amount: string }[] }>(
      `SELECT t.id, t.description, t.created_at, json_agg(json_build_object('account', l.account, 'amount', l.amount::text)) AS lines
       FROM journal_transactions t JOIN journal_lines l ON l.transaction_id = t.id
       WHERE t.merchant_id = $1 AND ($2::timestamptz IS NULL OR (t.created_at, t.id) > ($2::timestamptz, $3::uuid))
       GROUP BY t.id ORDER BY t.created_at, t.id LIMIT $4`,
      [id, after?.[0] ?? null, after?.[1] ?? null, parsed.data.limit + 1],
    );
    const items = rows.slice(0, parsed.data.limit).map((r) => ({
      id: r.id,
      description: r.description,
      createdAt: r.created_at.toISOString(),
      lines: r.lines.map((l) => ({ account: l.account, amountMinor: minorFromDb(l.amount) })),
    }));
    const last = rows[parsed.data.limit - 1];
    return c.json(rows.length > parsed.data.limit && last ? { items, nextCursor: encodeCursor(last.created_at, last.id) } : { items });
  });
  app.route('/api/v1', api);
  return app;
}
