/**
 * A token request at POST /oauth/token as RFC 6749 has it (pure): the form's parameters (§3.2:
 * an empty one counts as absent, none may repeat), the client's credentials by HTTP Basic
 * (client_secret_basic, id and secret form-urlencoded, §2.3.1) or in the body
 * (client_secret_post), never both; errors as §5.2 names them.
 */
import { HttpProblem, withHeaders } from '../../lib/http/problem.ts';

export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable';

const titles: Record<OAuthErrorCode, string> = {
  invalid_request: 'Invalid request',
  invalid_client: 'Invalid client',
  unsupported_grant_type: 'Unsupported grant type',
  invalid_scope: 'Invalid scope',
  temporarily_unavailable: 'Too many requests',
};

/**
 * An OAuth error response (RFC 6749 §5.2: JSON with `error` and `error_description`) that is a
 * problem too (type, title, status, detail), so both kinds of client read it. invalid_client is
 * 401 with a Basic challenge; temporarily_unavailable (too many failed authentications) is 429.
 */
export function oauthError(code: OAuthErrorCode, description: string): HttpProblem {
  const status = code === 'invalid_client' ? 401 : code === 'temporarily_unavailable' ? 429 : 400;
  return withHeaders(new HttpProblem(status, titles[code], description, { error: code, error_description: description }), {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...(code === 'invalid_client' ? { 'WWW-Authenticate': 'Basic realm="eventide", charset="UTF-8"' } : {}),
  });
}

export interface TokenRequest {
  clientId: string;
  clientSecret: string;
  /** The scopes asked for; undefined: all the client has. */
  scope?: string[];
}

/** A form parameter: undefined when absent or empty, invalid_request when repeated. */
function parameter(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name).filter((v) => v !== '');
  if (values.length > 1) throw oauthError('invalid_request', `${name} is given more than once`);
  return values[0];
}

/** application/x-www-form-urlencoded decoding of one Basic credential part ('+' is a space). */
function formDecoded(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    throw oauthError('invalid_request', 'the Basic credentials are not form-urlencoded');
  }
}

/** The client id and secret of an `Authorization: Basic` header, or undefined when the request has none. */
export function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match?.[1]) throw oauthError('invalid_request', 'the Authorization header is not Basic credentials');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw oauthError('invalid_request', 'the Basic credentials have no colon between client id and secret');
  return { clientId: formDecoded(decoded.slice(0, colon)), clientSecret: formDecoded(decoded.slice(colon + 1)) };
}

/** Scope tokens (§3.3): printable ASCII but space, '"' and '\'. */
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Reads a client-credentials token request; throws the OAuth error that fits. */
export function tokenRequestOf(form: URLSearchParams, authorization: string | undefined): TokenRequest {
  const basic = basicCredentials(authorization);
  const bodyId = parameter(form, 'client_id');
  const bodySecret = parameter(form, 'client_secret');
  if (basic && bodySecret !== undefined)
    throw oauthError('invalid_request', 'authenticate by HTTP Basic or by client_secret in the body, not both');
  if (basic && bodyId !== undefined && bodyId !== basic.clientId)
    throw oauthError('invalid_request', 'client_id in the body names another client than the Basic credentials');
  const clientId = basic?.clientId ?? bodyId;
  const clientSecret = basic?.clientSecret ?? bodySecret;
  if (!clientId || !clientSecret)
    throw oauthError('invalid_client', 'client authentication is required (HTTP Basic, or client_id and client_secret)');

  const grantType = parameter(form, 'grant_type');
  if (grantType === undefined) throw oauthError('invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') throw oauthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');

  const scope = parameter(form, 'scope');
  if (scope === undefined) return { clientId, clientSecret };
  const requested = [...new Set(scope.split(' ').filter(Boolean))];
  if (requested.length === 0 || !requested.every((s) => scopeToken.test(s)))
    throw oauthError('invalid_scope', 'scope is not a list of scope tokens');
  return { clientId, clientSecret, scope: requested };
}
