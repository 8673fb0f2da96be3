import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';

const fieldError = z.object({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof fieldError>;

/** An RFC 9457 problem: the one shape every error response of every service has, and its OpenAPI schema. */
export const problemSchema = z
  .looseObject({
    type: z.url(),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(fieldError).optional().describe('one entry per invalid field, by its path'),
  })
  .describe('RFC 9457 problem details; extension members (e.g. currentVersion on 409 and 412) may follow');
export type Problem = z.infer<typeof problemSchema>;

export class HttpProblem extends Error {
  readonly problem: Problem;
  /** Response headers that go with it, e.g. Retry-After on a 503. */
  headers: Record<string, string> = {};
  constructor(status: number, title: string, detail?: string, extensions: Record<string, unknown> = {}) {
    super(detail ?? title);
    this.problem = {
      type: `https://eventide.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      title,
      status,
      ...(detail ? { detail } : {}),
      ...extensions,
    };
  }
}

export function withHeaders(problem: HttpProblem, headers: Record<string, string>): HttpProblem {
  problem.headers = { ...problem.headers, ...headers };
  return problem;
}

export function problemResponse(c: Context, problem: Problem, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify({ ...problem, instance: c.req.path }), problem.status as ContentfulStatusCode, {
    'content-type': 'application/problem+json',
    ...headers,
  });
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.length > 0 ? issue.path.join('.') : '(body)', message: issue.message }));
}

export const invalid = (error: z.ZodError, what = 'request body') =>
  new HttpProblem(400, 'Invalid request', `the ${what} has ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}`, {
    errors: fieldErrors(error),
  });
