import { Hono } from 'hono';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { HttpProblem } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import { countsByCategory } from './counts.ts';

/** GET /api/v1/category-counts and /api/v1/category-counts/:category, plus health and metrics. */
export function categoryCountsApi({ db, health, registry, log }: { db: pg.Pool; health: Health; registry: Registry; log: Logger }): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(registry));
  problemErrors(app, { log });
  healthRoutes(app, { health, registry });
  app.get('/api/v1/category-counts', async (c) => c.json({ items: await countsByCategory(db) }));
  app.get('/api/v1/category-counts/:category', async (c) => {
    const found = (await countsByCategory(db)).find((row) => row.category === c.req.param('category'));
    if (!found) throw new HttpProblem(404, 'Not found', `no live events in category ${c.req.param('category')}`);
    return c.json(found);
  });
  return app;
}
