import { describe, expect, it } from 'vitest';
import type { HttpProblem } from '../../lib/http/problem.ts';
import { basicCredentials, tokenRequestOf } from './token-request.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) params.append(name, v);
  return params;
};
/** The OAuth error code and HTTP status a request is refused with. */
function refusal(run: () => unknown): { error: unknown; status: number; challenge?: string } {
  try {
    run();
  } catch (thrown) {
    const problem = thrown as HttpProblem;
    return { error: problem.problem.error, status: problem.problem.status, challenge: problem.headers['WWW-Authenticate'] };
  }
  throw new Error('not refused');
}

describe('tokenRequestOf', () => {
  it('reads client_secret_basic: id and secret form-urlencoded inside the Basic credentials', () => {
    const header = basic(encodeURIComponent('shop.one'), encodeURIComponent('s3cret:with/odd chars+'));
    expect(tokenRequestOf(form({ grant_type: 'client_credentials' }), header)).toEqual({
      clientId: 'shop.one',
      clientSecret: 's3cret:with/odd chars+',
    });
    // '+' is a space in form encoding.
    expect(basicCredentials(basic('a+b', 'c%2Bd'))).toEqual({ clientId: 'a b', clientSecret: 'c+d' });
  });

  it('reads client_secret_post, and the requested scopes', () => {
    expect(
      tokenRequestOf(
        form({ grant_type: 'client_credentials', client_id: 'psp', client_secret: 'x', scope: 'payments:complete  payments:complete' }),
        undefined,
      ),
    ).toEqual({ clientId: 'psp', clientSecret: 'x', scope: ['payments:complete'] });
  });

  it('takes client_id in the body beside Basic credentials when it names the same client', () => {
    expect(tokenRequestOf(form({ grant_type: 'client_credentials', client_id: 'psp' }), basic('psp', 'x')).clientId).toBe('psp');
  });

  const cases: { name: string; fields: Record<string, string | string[]>; authorization?: string; error: string; status: number }[] = [
    { name: 'no credentials at all', fields: { grant_type: 'client_credentials' }, error: 'invalid_client', status: 401 },
    {
      name: 'a client id without its secret',
      fields: { grant_type: 'client_credentials', client_id: 'psp' },
      error: 'invalid_client',
      status: 401,
    },
    {
      name: 'two authentication methods',
      fields: { grant_type: 'client_credentials', client_secret: 'x' },
      authorization: basic('psp', 'x'),
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'client_id naming another client than Basic',
      fields: { grant_type: 'client_credentials', client_id: 'other' },
      authorization: basic('psp', 'x'),
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'a Bearer header',
      fields: { grant_type: 'client_credentials' },
      authorization: 'Bearer abc',
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'Basic without a colon',
      fields: { grant_type: 'client_credentials' },
      authorization: `Basic ${btoa('nocolon')}`,
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'Basic not form-encoded',
      fields: { grant_type: 'client_credentials' },
      authorization: basic('%zz', 'x'),
      error: 'invalid_request',
      status: 400,
    },
    { name: 'no grant_type', fields: { client_id: 'psp', client_secret: 'x' }, error: 'invalid_request', status: 400 },
    {
      name: 'an empty grant_type counts as absent',
      fields: { grant_type: '', client_id: 'psp', client_secret: 'x' },
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'another grant type',
      fields: { grant_type: 'password', client_id: 'psp', client_secret: 'x' },
      error: 'unsupported_grant_type',
      status: 400,
    },
    {
      name: 'a repeated parameter',
      fields: { grant_type: ['client_credentials', 'client_credentials'], client_id: 'psp', client_secret: 'x' },
      error: 'invalid_request',
      status: 400,
    },
    {
      name: 'a scope with a character §3.3 excludes',
      fields: { grant_type: 'client_credentials', client_id: 'psp', client_secret: 'x', scope: 'a"b' },
      error: 'invalid_scope',
      status: 400,
    },
  ];
  for (const c of cases)
    it(`refuses ${c.name}: ${c.error}`, () => {
      const refused = refusal(() => tokenRequestOf(form(c.fields), c.authorization));
      expect(refused).toMatchObject({ error: c.error, status: c.status });
      if (c.status === 401) expect(refused.challenge).toMatch(/^Basic /);
    });
});
