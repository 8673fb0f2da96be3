import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { databaseUnavailable, inputRefusedByDatabase } from '../database-errors.ts';
import { HttpProblem, problemResponse } from './problem.ts';

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
