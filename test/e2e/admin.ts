import { CoreV1Api } from '@kubernetes/client-node';
import { type LocalPlatform, namespace } from '../../scripts/local/platform.ts';

/**
 * Logs in as the bootstrap administrator whose credentials the chart's identity-bootstrap-admin
 * Secret holds, as an operator would; returns the access token and the password (for log checks).
 */
export async function bootstrapAdmin(platform: LocalPlatform): Promise<{ accessToken: string; password: string }> {
  const secret = await platform.kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name: 'identity-bootstrap-admin' });
  const field = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const response = await fetch(`${platform.identity.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: 'platform', email: field('email'), password: field('password') }),
  });
  if (response.status !== 200) throw new Error(`the bootstrap administrator's login answered ${response.status}: ${await response.text()}`);
  return { accessToken: ((await response.json()) as { accessToken: string }).accessToken, password: field('password') };
}
