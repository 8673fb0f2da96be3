import { bootstrapAdminCredentials, login } from '../../scripts/local/credentials.ts';
import type { LocalPlatform } from '../../scripts/local/platform.ts';

/**
 * Logs in as the bootstrap administrator (platform-admin) whose credentials the chart's
 * identity-bootstrap-admin Secret holds, as an operator would; returns the access token and the
 * password (for log checks).
 */
export async function bootstrapAdmin(platform: LocalPlatform): Promise<{ accessToken: string; password: string }> {
  const credentials = await bootstrapAdminCredentials(platform.kc);
  return { accessToken: await login(platform.identity.url, credentials), password: credentials.password };
}
