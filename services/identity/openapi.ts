import { z } from 'zod';
import {
  authProblems,
  bearerSecurityScheme,
  problemComponent,
  problemResponses,
  queryParameters,
  schemaOf,
  secured as securedBy,
} from '../../lib/http/openapi.ts';
import { problemSchema } from '../../lib/http/problem.ts';
import {
  accountInput,
  activationInput,
  client,
  clientInput,
  clientWithSecret,
  loginInput,
  loginResponse,
  tokenForm,
  tokenResponse,
  user,
  userList,
  userQuery,
} from './schema.ts';

/** RFC 6749 §5.2's error, which is a problem too. */
const oauthErrorSchema = problemSchema.extend({
  error: z.enum(['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope', 'temporarily_unavailable']),
  error_description: z.string(),
});

const retryAfter = { 'Retry-After': { description: 'seconds to wait', required: true, schema: { type: 'integer', minimum: 1 } } };
const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const body = (ref: string) => ({ required: true, content: json(ref) });

const unavailable = { 503: 'identity is starting or its database is unavailable; retry after Retry-After seconds' };
/** Where a password or secret is hashed or checked: the bounded queue of scrypts may be full too. */
const hashing = {
  503: 'identity is starting, its database is unavailable, or too many passwords are being checked at once; retry after Retry-After seconds',
};
const badJson = { 413: 'the body is larger than 8 KiB', 415: 'the body is not application/json' };
/** Error responses, with Retry-After on a 429 (lib's problemResponses adds it to a 503). */
function problems(meanings: Record<number, string>): Record<string, object> {
  const responses = problemResponses(meanings);
  if (responses['429']) responses['429'] = { ...responses['429'], headers: retryAfter };
  return responses;
}
/** A route behind a bearer token of one of `roles`. */
function secured(roles: string, operation: { responses: Record<string, object> } & Record<string, unknown>) {
  return {
    ...operation,
    ...securedBy(roles),
    responses: { ...operation.responses, ...problems(authProblems(`the token's role is not ${roles}`)) },
  };
}
/**
 * The document's example login: the contract test makes it the bootstrap administrator's, so the
 * example logs in (no deployment's administrator has this password).
 */
export const exampleLogin = { tenantId: 'platform', email: 'root@eventide.example', password: 'an-example-password' };
/** Example values of the shared fields whose patterns no generator can guess. */
const exampleTenant = 'school-a';
const examplePhoneNumber = '+4915112345678';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };
/** A schema with keywords (examples, descriptions) added to some of its properties. */
function withProperties(schema: JsonSchema, additions: Record<string, Record<string, unknown>>): JsonSchema {
  const properties = { ...schema.properties };
  for (const [name, extra] of Object.entries(additions)) properties[name] = { ...properties[name], ...extra };
  return { ...schema, properties };
}

/** GET /api/v1/users' query: the example asks by e-mail; exactly one of email and phoneNumber. */
function userQueryParameters(): object[] {
  const oneOf = 'give exactly one of email and phoneNumber (both or neither: 400)';
  const additions: Record<string, Record<string, unknown>> = {
    tenantId: { schema: { examples: [exampleTenant] } },
    email: { description: oneOf, example: 'ada@school.example' },
    phoneNumber: { description: oneOf, schema: { examples: [examplePhoneNumber] } },
  };
  return (queryParameters(userQuery) as { name: string; schema: object }[]).map((parameter) => {
    const { schema, ...extra } = additions[parameter.name] ?? {};
    return { ...parameter, ...extra, schema: { ...parameter.schema, ...(schema as object) } };
  });
}

/** A link from a created resource to an operation on it, by the id in the answer. */
const byId = (operationId: string, field: string) => ({ operationId, parameters: { 'path.id': `$response.body#/${field}` } });

const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, description: `the ${what} id`, schema: { type: 'string' } });

/** identity's OpenAPI 3.1 document, generated from the zod schemas that validate its requests. */
export function openApiDocument() {
  const oauthErrors = (status: number, description: string, headers?: object) => ({
    [status]: { description, ...(headers ? { headers } : {}), content: json('OAuthError') },
  });
  const tenantAdmin = '`admin` (of the tenant) or `platform-admin`';
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide identity',
      version: '1.0.0',
      description:
        "The platform's token issuer: people activate their accounts and log in, machine clients use the OAuth 2.0 client-credentials grant; tokens are EdDSA JWTs (15 minutes) verifiable with the JWKS. Another tenant's resources answer 404.",
    },
    paths: {
      '/.well-known/jwks.json': {
        get: {
          operationId: 'jwks',
          summary: 'The public keys that verify live tokens, and the next key before it signs',
          responses: {
            '200': {
              description: 'a JWK Set (RFC 7517); cache for at most 300 s',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...problems(unavailable),
          },
        },
      },
      '/oauth/token': {
        post: {
          operationId: 'token',
          summary: 'A token for a machine client (OAuth 2.0 client credentials, RFC 6749 §4.4)',
          description:
            'Authenticate by HTTP Basic (client_secret_basic, id and secret form-urlencoded) or by client_id and client_secret in the body (client_secret_post), not both. Errors are RFC 6749 §5.2 JSON that is also a problem.',
          // client_secret_post (the body's client_id and client_secret) is the alternative; either way none is 401.
          security: [{ clientBasic: [] }],
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/TokenForm' } } },
          },
          responses: {
            '200': {
              description: 'the access token; Cache-Control: no-store',
              content: json('TokenResponse'),
            },
            ...oauthErrors(
              400,
              'invalid_request (not a form, a parameter repeated or missing, two authentication methods), unsupported_grant_type, invalid_scope',
            ),
            ...oauthErrors(401, 'invalid_client: unknown, revoked or wrong credentials', {
              'WWW-Authenticate': { description: 'Basic', required: true, schema: { type: 'string' } },
            }),
            ...oauthErrors(
              429,
              'temporarily_unavailable: too many failed authentications of this client, or attempts from this address',
              retryAfter,
            ),
            ...problems({ 413: badJson[413], ...hashing }),
          },
        },
      },
      '/api/v1/auth/activate': {
        post: {
          operationId: 'activate',
          summary: "Set a new account's password with its one-time activation token",
          requestBody: body('Activation'),
          responses: {
            '204': { description: 'the account is Active; the token is spent' },
            ...problems({
              400: 'a body the schema refuses, or a token unknown, used, revoked or expired',
              ...badJson,
              422: 'the password is refused (too short, too long, or the e-mail address)',
              429: 'too many attempts from this address',
              ...hashing,
            }),
          },
        },
      },
      '/api/v1/auth/activation/resend': {
        post: {
          operationId: 'resendActivation',
          summary: 'Send a new activation token to an account waiting for activation',
          description: 'Always the same 202, whether or not the address has such an account.',
          requestBody: body('Account'),
          responses: {
            '202': {
              description: 'accepted',
              content: { 'application/json': { schema: { type: 'object', properties: { detail: { type: 'string' } } } } },
            },
            ...problems({
              400: 'a body the schema refuses',
              ...badJson,
              429: 'too many resends for this address, or attempts from this caller',
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/auth/login': {
        post: {
          operationId: 'login',
          summary: 'A token for a person (by tenant, e-mail and password)',
          requestBody: body('Login'),
          responses: {
            '200': { description: 'the access token; Cache-Control: no-store', content: json('LoginResponse') },
            ...problems({
              400: 'a body the schema refuses (phoneNumber too: log in by e-mail)',
              401: 'the credentials are not valid (unknown user, wrong password, or not Active)',
              ...badJson,
              429: 'too many attempts for this account or from this address',
              ...hashing,
            }),
          },
        },
      },
      '/api/v1/users': {
        get: secured(tenantAdmin, {
          operationId: 'findUsers',
          summary: "A tenant's users by e-mail or phone number",
          parameters: userQueryParameters(),
          responses: {
            '200': { description: 'the users (none: an empty list)', content: json('UserList') },
            ...problems({ 400: 'a query the schema refuses', 404: "another tenant's users (for a tenant's admin)", ...unavailable }),
          },
        }),
      },
      '/api/v1/users/{id}/activation': {
        post: secured(tenantAdmin, {
          operationId: 'reissueActivation',
          summary: 'Send a user waiting for activation a new token (the old one stops working)',
          parameters: [idParam('user')],
          responses: {
            '202': { description: 'a new token is on its way' },
            ...problems({ 404: "no such user, or another tenant's", 409: 'the user is not waiting for activation', ...unavailable }),
          },
        }),
      },
      '/api/v1/admins': {
        post: secured('`platform-admin`', {
          operationId: 'createAdmin',
          summary: "Make a tenant's administrator, waiting for activation (the token goes out like a teacher's)",
          requestBody: body('Account'),
          responses: {
            '201': {
              description: 'the administrator',
              content: json('User'),
              links: { reissueActivation: byId('reissueActivation', 'id') },
            },
            ...problems({
              400: 'a body the schema refuses',
              409: 'this address is already an administrator of the tenant',
              ...badJson,
              422: 'no such tenant',
              ...unavailable,
            }),
          },
        }),
      },
      '/api/v1/clients': {
        post: secured('`platform-admin`', {
          operationId: 'createClient',
          summary: 'Make a machine client; its secret is shown in this answer only',
          requestBody: body('ClientInput'),
          responses: {
            '201': {
              description: 'the client and its secret; Cache-Control: no-store',
              headers: { Location: { description: 'the client', required: true, schema: { type: 'string' } } },
              content: json('ClientWithSecret'),
              links: {
                getClient: byId('getClient', 'clientId'),
                revokeClient: byId('revokeClient', 'clientId'),
                rotateClientSecret: byId('rotateClientSecret', 'clientId'),
              },
            },
            ...problems({
              400: 'a body the schema refuses (a merchant needs merchantId, an organizer organizerId)',
              ...badJson,
              ...hashing,
            }),
          },
        }),
      },
      '/api/v1/clients/{id}': {
        get: secured('`platform-admin`', {
          operationId: 'getClient',
          summary: 'A machine client (never its secret)',
          parameters: [idParam('client')],
          responses: {
            '200': { description: 'the client', content: json('Client') },
            ...problems({ 404: 'no such client', ...unavailable }),
          },
        }),
        delete: secured('`platform-admin`', {
          operationId: 'revokeClient',
          summary: 'Revoke a machine client: it gets no more tokens',
          parameters: [idParam('client')],
          responses: { '204': { description: 'revoked' }, ...problems({ 404: 'no such client', ...unavailable }) },
        }),
      },
      '/api/v1/clients/{id}/secret': {
        post: secured('`platform-admin`', {
          operationId: 'rotateClientSecret',
          summary: 'A new secret, shown once; the previous one keeps working for the overlap (CLIENT_SECRET_OVERLAP_SECONDS)',
          parameters: [idParam('client')],
          responses: {
            '200': { description: 'the client and its new secret; Cache-Control: no-store', content: json('ClientWithSecret') },
            ...problems({ 404: 'no such client', 409: 'the client is revoked', ...hashing }),
          },
        }),
      },
    },
    components: {
      securitySchemes: {
        ...bearerSecurityScheme,
        clientBasic: { type: 'http', scheme: 'basic', description: 'client id and secret, each form-urlencoded (RFC 6749 §2.3.1)' },
      },
      schemas: {
        Activation: schemaOf(activationInput),
        Account: withProperties(schemaOf(accountInput), { tenantId: { examples: [exampleTenant] } }),
        Login: { ...withProperties(schemaOf(loginInput), { tenantId: { examples: [exampleLogin.tenantId] } }), examples: [exampleLogin] },
        LoginResponse: schemaOf(loginResponse, 'output'),
        User: schemaOf(user, 'output'),
        UserList: schemaOf(userList, 'output'),
        ClientInput: {
          ...schemaOf(clientInput),
          examples: [{ name: 'Shop backend', role: 'merchant', merchantId: '5a1e3c8b-0d4f-4a7e-9b2c-6f1d8e3a7b90' }],
        },
        Client: schemaOf(client, 'output'),
        ClientWithSecret: schemaOf(clientWithSecret, 'output'),
        TokenForm: schemaOf(tokenForm),
        TokenResponse: schemaOf(tokenResponse, 'output'),
        OAuthError: schemaOf(oauthErrorSchema, 'output'),
        ...problemComponent,
      },
    },
  };
}
