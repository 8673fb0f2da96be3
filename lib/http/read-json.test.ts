import { Hono } from 'hono';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { problemErrors } from './problem-errors.ts';
import { readJson, untextualStrings } from './read-json.ts';

function app() {
  const api = new Hono();
  problemErrors(api, { log: pino({ level: 'silent' }) });
  api.post('/echo', async (c) => c.json(await readJson(c)));
  return { api };
}

describe('readJson', () => {
  it('reads JSON bodies: another content type is 415, malformed JSON 400', async () => {
    const { api } = app();
    const post = (body: string, type?: string) =>
      api.request('/echo', { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
    expect(await (await post('{"a":1}', 'application/json; charset=utf-8')).json()).toEqual({ a: 1 });
    expect((await post('{"a":1}', 'text/plain')).status).toBe(415);
    expect((await post('{"a":1}')).status).toBe(415);
    expect((await post('{nope', 'application/json')).status).toBe(400);
  });

  it('refuses JSON strings that are not text: U+0000 or an unpaired surrogate, in a value or a name, each by its path', async () => {
    const { api } = app();
    const post = (body: string | Uint8Array) =>
      api.request('/echo', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const refused = async (body: string | Uint8Array) => {
      const response = await post(body);
      expect([response.status, response.headers.get('content-type')]).toEqual([400, 'application/problem+json']);
      return (await response.json()) as { title: string; errors?: { path: string; message: string }[] };
    };
    expect((await refused(JSON.stringify({ name: 'Ada\u0000Lovelace' }))).errors).toEqual([
      { path: 'name', message: expect.stringContaining('U+0000') },
    ]);
    // Escaped in JSON or not, alone at the start, the end, or a low surrogate first.
    for (const lone of ['\\ud800', '\\udfff', 'a\\udc00\\ud800b', 'x\\ud83d']) {
      const { errors } = await refused(`{"outer":{"list":["ok","${lone}"]}}`);
      expect(errors).toEqual([{ path: 'outer.list.1', message: expect.stringContaining('unpaired UTF-16 surrogate') }]);
    }
    const names = await refused(`{"a\\u0000b":1,"ok":"\\ud800"}`);
    expect(names.errors?.map((e) => e.path)).toEqual(['a\\u0000b', 'ok']);
    expect((await refused('"\\u0000"')).errors).toEqual([{ path: '(body)', message: expect.stringContaining('U+0000') }]);
    // Bytes that are not UTF-8 would become U+FFFD unnoticed.
    expect((await refused(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]))).title).toBe(
      'Malformed JSON',
    );
    // Text that is text passes as it is: a surrogate pair (an emoji), U+FFFD itself, other control characters.
    const fine = { name: 'Ada 😀 \ufffd \u0001 \u007f', nested: [{ 'key 😀': 'value' }] };
    const echoed = await post(JSON.stringify(fine));
    expect([echoed.status, await echoed.json()]).toEqual([200, fine]);
  });

  it('finds every untextual string however deep the body nests, without recursion', () => {
    const deep = JSON.parse(`${'['.repeat(50_000)}"\\u0000"${']'.repeat(50_000)}`);
    expect(untextualStrings(deep)).toEqual([{ path: `${'0.'.repeat(49_999)}0`, message: expect.stringContaining('U+0000') }]);
    expect(untextualStrings(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20);
    expect(untextualStrings({ a: [1, true, null, { b: 'text' }] })).toEqual([]);
  });
});
