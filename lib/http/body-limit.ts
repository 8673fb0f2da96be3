import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpProblem, problemResponse } from './problem.ts';

/** Refuses bodies over `maxBytes` with a 413 problem. */
export const limitBody = (maxBytes: number): MiddlewareHandler =>
  bodyLimit({
    maxSize: maxBytes,
    onError: (c) => problemResponse(c, new HttpProblem(413, 'Payload too large', `bodies are limited to ${maxBytes} bytes`).problem),
  });
