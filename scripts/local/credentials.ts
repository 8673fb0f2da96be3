/**
 * Tokens for the platform's own tools and suites, obtained as any client obtains them: the
 * bootstrap administrator logs in with the credentials of its Secret, the payment provider uses
 * the client-credentials grant with the kind profile's development client, and a merchant's
 * backend with a client a platform administrator created for it. Tokens live 15 minutes: a
 * TokenSource fetches a new one before the old expires, so a long `make load` keeps working.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { decodeJwt } from 'jose';
import { kind } from '../../cdk8s/profile.ts';

/** A bearer token, fetched again a minute before it expires. */
export type TokenSource = () => Promise<string>;

/**
 * Caches the token until a minute before it expires. A failed fetch is not retried by every caller
 * at once: callers get the same failure until a back-off (1 s doubling to 30 s) has passed — a
 * hundred requests retrying a refused token each would trip identity's per-address limit and keep
 * it tripped.
 */
export function tokenSource(fetchToken: () => Promise<string>, now: () => number = Date.now): TokenSource {
  let current: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let failure: { error: unknown; until: number; delayMs: number } | undefined;
  return async () => {
    if (current && now() < current.renewAt) return current.token;
    if (failure && now() < failure.until) throw failure.error;
    pending ??= fetchToken()
      .then((token) => {
        const exp = decodeJwt(token).exp ?? 0;
        current = { token, renewAt: exp * 1000 - 60_000 };
        failure = undefined;
        return token;
      })
      .catch((error: unknown) => {
        const delayMs = Math.min((failure?.delayMs ?? 500) * 2, 30_000);
        failure = { error, until: now() + delayMs, delayMs };
        throw error;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

async function secretFields(kc: KubeConfig, name: string): Promise<Record<string, string>> {
  const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: kind.namespace, name });
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

async function answer<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** The bootstrap administrator (platform-admin) of the chart's identity-bootstrap-admin Secret. */
export async function bootstrapAdminCredentials(kc: KubeConfig): Promise<{ email: string; password: string }> {
  const { email = '', password = '' } = await secretFields(kc, 'identity-bootstrap-admin');
  return { email, password };
}

export async function login(identityUrl: string, credentials: { tenantId?: string; email: string; password: string }): Promise<string> {
  const response = await fetch(`${identityUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: credentials.tenantId ?? 'platform', email: credentials.email, password: credentials.password }),
  });
  return (await answer<{ accessToken: string }>(response, 'the login')).accessToken;
}

/** OAuth 2.0 client credentials (RFC 6749 §4.4), the client authenticated by HTTP Basic. */
export async function clientCredentialsToken(identityUrl: string, client: { clientId: string; clientSecret: string }): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
  const response = await fetch(`${identityUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: 'grant_type=client_credentials',
  });
  return (await answer<{ access_token: string }>(response, `the token endpoint for ${client.clientId}`)).access_token;
}

/** The kind profile's development payment-provider client (scope payments:complete), from its Secret. */
export async function providerClient(kc: KubeConfig): Promise<{ clientId: string; clientSecret: string }> {
  const { clientId = '', clientSecret = '' } = await secretFields(kc, 'identity-payment-provider');
  return { clientId, clientSecret };
}

/** A new machine client for one merchant's backend, created by a platform administrator; its secret is shown only here. */
export async function createMerchantClient(
  identityUrl: string,
  adminToken: string,
  merchantId: string,
): Promise<{ clientId: string; clientSecret: string }> {
  const response = await fetch(`${identityUrl}/api/v1/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: `merchant ${merchantId}`, role: 'merchant', merchantId }),
  });
  return answer<{ clientId: string; clientSecret: string }>(response, 'creating a merchant client');
}

/** The platform's two standing callers on a running platform: its administrator and the payment provider. */
export function platformCallers(kc: KubeConfig, identityUrl: string): { admin: TokenSource; provider: TokenSource } {
  return {
    admin: tokenSource(async () => login(identityUrl, await bootstrapAdminCredentials(kc))),
    provider: tokenSource(async () => clientCredentialsToken(identityUrl, await providerClient(kc))),
  };
}
