import type { Principal } from '../../lib/authorization.ts';
import { withHeaders } from '../../lib/http/problem.ts';
import { grantedScopes, principalOfClient } from './client-credentials.ts';
import type { Clients } from './clients.ts';
import type { RateLimiter } from './rate-limit.ts';
import { accessTokenSeconds } from './signing-keys.ts';
import { oauthError, type TokenRequest } from './token-request.ts';

/** RFC 6749 §5.1's successful answer. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

/**
 * The client-credentials grant: authenticates the client (attempts limited per client id and per
 * address; a success clears the client's count, so only failures add up) and signs its token.
 */
export class ClientCredentialsGrant {
  private readonly clients: Clients;
  private readonly sign: (principal: Principal) => Promise<string>;
  private readonly perClient: RateLimiter;
  private readonly perAddress: RateLimiter;
  private readonly now: () => number;

  constructor(deps: {
    clients: Clients;
    sign: (principal: Principal) => Promise<string>;
    perClient: RateLimiter;
    perAddress: RateLimiter;
    now?: () => number;
  }) {
    this.clients = deps.clients;
    this.sign = deps.sign;
    this.perClient = deps.perClient;
    this.perAddress = deps.perAddress;
    this.now = deps.now ?? Date.now;
  }

  async token(request: TokenRequest, clientAddress: string): Promise<TokenResponse> {
    const now = this.now();
    for (const [limiter, key] of [
      [this.perAddress, clientAddress],
      [this.perClient, request.clientId],
    ] as const) {
      const verdict = limiter.attempt(key, now);
      if (!verdict.allowed)
        throw withHeaders(oauthError('temporarily_unavailable', `too many attempts; retry in ${verdict.retryAfterSeconds} s`), {
          'Retry-After': String(verdict.retryAfterSeconds),
        });
    }
    const client = await this.clients.authenticate(request.clientId, request.clientSecret);
    if (!client) throw oauthError('invalid_client', 'the client credentials are not valid');
    this.perClient.reset(request.clientId);
    const scopes = grantedScopes(request.scope, client.scopes);
    if (!scopes) throw oauthError('invalid_scope', `this client may ask for: ${client.scopes.join(' ') || 'no scope'}`);
    return {
      access_token: await this.sign(principalOfClient(client, scopes)),
      token_type: 'Bearer',
      expires_in: accessTokenSeconds,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  }
}
