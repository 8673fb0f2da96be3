import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem: the one shape every error response of every service has. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class HttpProblem extends Error {
  readonly problem: Problem;
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
