/**
 * The console's session: a platform administrator logs in with identity's credentials (the console
 * asks identity, as any client does), and the token identity signs is kept in an HttpOnly,
 * SameSite=Strict cookie for its own lifetime (≤ 15 minutes): the page's scripts never see it, and
 * another site cannot send it. Every API request is then verified against identity's key set.
 */
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { HttpProblem, invalid, withHeaders } from '../../lib/http/problem.ts';
import { readJson } from '../../lib/http/read-json.ts';

export const sessionCookie = 'eventide_console';

/** The session's token, for lib/http/bearer.ts authenticate(). */
export const sessionToken = (c: Context): string | undefined => getCookie(c, sessionCookie);

const credentials = z.object({
  email: z.string().min(1, 'email is required').max(320),
  password: z.string().min(1, 'password is required').max(1024),
});

/** POST /api/v1/session (log in) and DELETE /api/v1/session (log out). */
export function sessionRoutes(app: Hono, { identityUrl, verify }: { identityUrl: string; verify: TokenVerifier }): void {
  app.post('/api/v1/session', limitBody(8 * 1024), async (c) => {
    const parsed = credentials.safeParse(await readJson(c));
    if (!parsed.success) throw invalid(parsed.error);
    const token = await identityLogin(identityUrl, parsed.data);
    const principal = await verify(token);
    if (principal.role !== 'platform-admin') throw new HttpProblem(403, 'Forbidden', 'the console is for platform administrators');
    const expiresAt = (decodeJwt(token).exp ?? 0) * 1000;
    setCookie(c, sessionCookie, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
    });
    return c.json({ role: principal.role, expiresAt: new Date(expiresAt).toISOString() }, 201);
  });
  app.delete('/api/v1/session', (c) => {
    deleteCookie(c, sessionCookie, { path: '/' });
    return c.body(null, 204);
  });
}

/** identity's login for the platform's own tenant; its refusals become the console's, nothing more of them. */
async function identityLogin(identityUrl: string, body: z.infer<typeof credentials>): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${identityUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: 'platform', ...body }),
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    throw unavailable();
  }
  if (response.status === 401 || response.status === 400 || response.status === 404)
    throw new HttpProblem(401, 'Unauthorized', 'the email or the password is not right');
  if (response.status === 429)
    throw withHeaders(new HttpProblem(429, 'Too many requests', 'too many logins; wait before trying again'), {
      'Retry-After': response.headers.get('retry-after') ?? '10',
    });
  if (!response.ok) throw unavailable();
  const { accessToken } = (await response.json()) as { accessToken?: string };
  if (!accessToken) throw unavailable();
  return accessToken;
}

const unavailable = () =>
  withHeaders(new HttpProblem(503, 'Service unavailable', 'identity cannot log you in now; retry shortly'), { 'Retry-After': '2' });
