/**
 * Building blocks for the services' OpenAPI 3.1 documents, so each document is generated from the
 * same zod schemas that validate requests and shape responses.
 */
import { z } from 'zod';
import { problemSchema } from './problem.ts';

/** A zod schema as an OpenAPI 3.1 schema object: JSON Schema 2020-12 without its own `$schema`. */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

/** One OpenAPI query parameter per property of a zod object of query parameters. */
export function queryParameters(schema: z.ZodObject): object[] {
  const json = schemaOf(schema) as { properties: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(json.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

/** The Problem schema every error response refers to, for `components.schemas`. */
export const problemComponent = { Problem: schemaOf(problemSchema) };

const retryAfter = {
  'Retry-After': { description: 'seconds to wait before retrying', required: true, schema: { type: 'integer', minimum: 0 } },
};

/** Error responses, status → what it means for this operation; all application/problem+json, 503 with Retry-After. */
export function problemResponses(meanings: Record<number, string>): Record<string, object> {
  return Object.fromEntries(
    Object.entries(meanings).map(([status, description]) => [
      status,
      {
        description,
        ...(status === '503' ? { headers: retryAfter } : {}),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      },
    ]),
  );
}

/** The platform's one security scheme: identity's EdDSA JWTs, for `components.securitySchemes`. */
export const bearerSecurityScheme = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'an access token from identity (POST /api/v1/auth/login for people, POST /oauth/token for machine clients); ≤ 15 minutes',
  },
};

/** An operation's `security` (the bearer scheme), and its 401 and 403 answers saying who may call it. */
export function secured(who: string): { security: { bearer: [] }[]; 'x-eventide-callers': string } {
  return { security: [{ bearer: [] }], 'x-eventide-callers': who };
}

/** The answers every secured operation may give about its caller. */
export const authProblems = (forbidden = 'the token is valid but of a role that may not call this operation') => ({
  401: 'no bearer token, or one that is expired, forged or of another issuer (WWW-Authenticate: Bearer)',
  403: forbidden,
});
