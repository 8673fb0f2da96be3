// @needs postgres
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { exampleEvent } from './openapi.ts';
import { freshDatabase, inProcessCatalog, sampleEvent } from './testing/fixtures.ts';

let catalog: Awaited<ReturnType<typeof inProcessCatalog>>;
let issuer: TokenIssuer;
/** The sample event's organizer: every write below is theirs unless it says otherwise. */
let organizer: { authorization: string };
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});
const request = (path: string, init: RequestInit = {}) =>
  catalog.app.request(
    path,
    init.method && init.method !== 'GET' ? { ...init, headers: { ...organizer, ...(init.headers as object) } } : init,
  );
const anonymous = (path: string, init: RequestInit = {}) => catalog.app.request(path, init);
const create = async (overrides: Record<string, unknown> = {}) => {
  const response = await request('/api/v1/events', { method: 'POST', ...json(sampleEvent(overrides)) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; version: number } & Record<string, unknown>;
};
async function expectProblem(response: Response, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as {
    status: number;
    title: string;
    detail?: string;
    errors?: { path: string; message: string }[];
  };
  expect(problem.status).toBe(status);
  expect(problem.title).toBeTruthy();
  return problem;
}

beforeAll(async () => {
  issuer = await startTokenIssuer();
  organizer = await issuer.bearer(principals.organizer(exampleEvent.organizerId));
  catalog = await inProcessCatalog(await freshDatabase(inject('databaseUrl')), remoteJwtVerifier(issuer.jwksUrl));
});
afterAll(async () => {
  await catalog.pool.end();
  await issuer.stop();
});

describe('catalog API on a real PostgreSQL', () => {
  it('creates an event: 201, Location, ETag = version 1', async () => {
    const response = await request('/api/v1/events', { method: 'POST', ...json(sampleEvent()) });
    expect(response.status).toBe(201);
    const event = (await response.json()) as { id: string; version: number; priceMinor: number };
    expect(response.headers.get('location')).toBe(`/api/v1/events/${event.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(event).toMatchObject({ version: 1, priceMinor: 2500, currency: 'EUR', status: 'published' });
    const read = await request(`/api/v1/events/${event.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');
  });

  it('400: names every invalid field by its path', async () => {
    const problem = await expectProblem(
      await request('/api/v1/events', {
        method: 'POST',
        ...json(sampleEvent({ priceMinor: 12.5, country: 'Germany', endsAt: '2027-03-01T18:00:00Z', extra: 1 })),
      }),
      400,
    );
    const paths = problem.errors?.map((e) => e.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['priceMinor', 'country']));
    expect(problem.errors?.some((e) => e.message.includes('extra'))).toBe(true);
  });

  it('400 for malformed JSON, 415 for another content type, 413 for a body over the limit', async () => {
    await expectProblem(await request('/api/v1/events', { method: 'POST', ...json('{"name": ') }), 400);
    await expectProblem(
      await request('/api/v1/events', { method: 'POST', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
    );
    await expectProblem(
      await request('/api/v1/events', { method: 'POST', ...json(sampleEvent({ description: 'x'.repeat(20_000) })) }),
      413,
    );
  });

  it('404 for an unknown or malformed id, and for an unknown route', async () => {
    await expectProblem(await request('/api/v1/events/00000000-0000-4000-8000-000000000000'), 404);
    await expectProblem(await request('/api/v1/events/not-a-uuid'), 404);
    await expectProblem(await request('/api/v1/nothing-here'), 404);
  });

  it('Idempotency-Key: a retry returns the first event and creates nothing; another body is 422', async () => {
    const key = `key-${Date.now()}`;
    const first = await request('/api/v1/events', { method: 'POST', ...json(sampleEvent({ name: 'Once' }), { 'idempotency-key': key }) });
    const again = await request('/api/v1/events', { method: 'POST', ...json(sampleEvent({ name: 'Once' }), { 'idempotency-key': key }) });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
    const { rows } = await catalog.pool.query("SELECT count(*)::int AS n FROM events WHERE data->>'name' = 'Once'");
    expect(rows[0].n).toBe(1);
    await expectProblem(
      await request('/api/v1/events', { method: 'POST', ...json(sampleEvent({ name: 'Twice' }), { 'idempotency-key': key }) }),
      422,
    );
  });

  it('PUT with If-Match: current version succeeds, a stale one is 412 and changes nothing', async () => {
    const event = await create();
    const put = await request(`/api/v1/events/${event.id}`, {
      method: 'PUT',
      ...json(sampleEvent({ name: 'Renamed' }), { 'if-match': '"1"' }),
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe('"2"');
    const stale = await request(`/api/v1/events/${event.id}`, {
      method: 'PUT',
      ...json(sampleEvent({ name: 'Lost update' }), { 'if-match': '"1"' }),
    });
    const problem = await expectProblem(stale, 412);
    expect(problem).toMatchObject({ currentVersion: 2 });
    const read = (await (await request(`/api/v1/events/${event.id}`)).json()) as { name: string };
    expect(read.name).toBe('Renamed');
  });

  it('PATCH with a stale version in the body is 409; a valid patch merges', async () => {
    const event = await create();
    await expectProblem(await request(`/api/v1/events/${event.id}`, { method: 'PATCH', ...json({ version: 7, capacity: 10 }) }), 409);
    const patched = await request(`/api/v1/events/${event.id}`, {
      method: 'PATCH',
      ...json({ version: 1, capacity: 10 }, { 'content-type': 'application/merge-patch+json' }),
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ capacity: 10, version: 2, name: 'Jazz at the harbour' });
    const problem = await expectProblem(
      await request(`/api/v1/events/${event.id}`, { method: 'PATCH', ...json({ endsAt: '2020-01-01T00:00:00Z' }) }),
      400,
    );
    expect(problem.errors?.[0]?.path).toBe('endsAt');
  });

  it('DELETE: 204, then 404; a stale If-Match is 412', async () => {
    const event = await create();
    await expectProblem(await request(`/api/v1/events/${event.id}`, { method: 'DELETE', headers: { 'if-match': '"5"' } }), 412);
    expect((await request(`/api/v1/events/${event.id}`, { method: 'DELETE' })).status).toBe(204);
    await expectProblem(await request(`/api/v1/events/${event.id}`), 404);
    await expectProblem(await request(`/api/v1/events/${event.id}`, { method: 'DELETE' }), 404);
  });

  it('lists by start time with a category filter, a date range and cursor pagination', async () => {
    const category = `talk-${Date.now()}`;
    const ids: string[] = [];
    for (let day = 1; day <= 5; day++) {
      ids.push((await create({ category, startsAt: `2028-01-0${day}T10:00:00Z`, endsAt: `2028-01-0${day}T11:00:00Z` })).id);
    }
    const page = async (query: string) =>
      (await (await request(`/api/v1/events?${query}`)).json()) as { items: { id: string }[]; nextCursor?: string };
    const first = await page(`category=${category}&limit=2`);
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2));
    const second = await page(`category=${category}&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const ranged = await page(`category=${category}&from=2028-01-02T00:00:00Z&to=2028-01-04T00:00:00Z`);
    expect(ranged.items.map((e) => e.id)).toEqual(ids.slice(1, 3));
    await expectProblem(await request('/api/v1/events?limit=1000'), 400);
    await expectProblem(await request('/api/v1/events?cursor=garbage'), 400);
  });

  it('never answers bad input with a 500', async () => {
    const bad: [string, RequestInit][] = [
      ['/api/v1/events', { method: 'POST', ...json('null') }],
      ['/api/v1/events', { method: 'POST', ...json('[]') }],
      ['/api/v1/events', { method: 'POST', ...json({ name: { nested: true } }) }],
      ['/api/v1/events', { method: 'POST', ...json(sampleEvent({ organizerId: 'x' }), { 'idempotency-key': '' }) }],
      ['/api/v1/events?from=yesterday', {}],
      ['/api/v1/events/00000000-0000-4000-8000-000000000000', { method: 'PUT', ...json(sampleEvent(), { 'if-match': 'nonsense' }) }],
      ['/api/v1/events/00000000-0000-4000-8000-000000000000', { method: 'PATCH', ...json({ version: -1 }) }],
    ];
    for (const [path, init] of bad) {
      const response = await request(path, init);
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBeLessThan(500);
    }
  });

  it('times outside the platform rule are 400 naming the field, never 201 or 500', async () => {
    const refused: [string, string, RequestInit][] = [
      ['to', '/api/v1/events?to=2027-03-11T09:24:39%2B16:00', {}],
      ['from', '/api/v1/events?from=2027-02-29T00:00:00Z', {}],
      ['startsAt', '/api/v1/events', { method: 'POST', ...json(sampleEvent({ startsAt: '2027-03-01T19:00:00-21:42' })) }],
      ['endsAt', '/api/v1/events', { method: 'POST', ...json(sampleEvent({ endsAt: '2027-03-02T22:00:00+19:00' })) }],
    ];
    for (const [field, path, init] of refused) {
      const problem = await expectProblem(await request(path, init), 400);
      expect(
        problem.errors?.map((e) => e.path),
        `${init.method ?? 'GET'} ${path}`,
      ).toEqual([field]);
    }
    const event = await create();
    const patch = await request(`/api/v1/events/${event.id}`, { method: 'PATCH', ...json({ startsAt: '2027-03-01T19:00:00+14:01' }) });
    expect((await expectProblem(patch, 400)).errors?.map((e) => e.path)).toEqual(['startsAt']);
  });

  it('stores and returns times as UTC, and lists by the instant', async () => {
    const category = `utc-${Date.now()}`;
    const event = await create({ category, startsAt: '2027-03-01T19:00:00+05:45', endsAt: '2027-03-01T22:00:00.5-14:00' });
    expect(event).toMatchObject({ startsAt: '2027-03-01T13:15:00.000Z', endsAt: '2027-03-02T12:00:00.500Z' });
    expect(await (await request(`/api/v1/events/${event.id}`)).json()).toMatchObject({ startsAt: '2027-03-01T13:15:00.000Z' });
    const listed = async (query: string) =>
      ((await (await request(`/api/v1/events?category=${category}&${query}`)).json()) as { items: { id: string }[] }).items.map(
        (e) => e.id,
      );
    expect(await listed('from=2027-03-01T13:15:00%2B00:00')).toEqual([event.id]);
    expect(await listed('to=2027-03-01T19:00:00%2B05:45')).toEqual([]);
  });

  it('a value PostgreSQL refuses as data is 400, not 500 (a cursor that names no time or id)', async () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await expectProblem(await request(`/api/v1/events?cursor=${cursor(['not-a-time', '00000000-0000-4000-8000-000000000000'])}`), 400);
    await expectProblem(await request(`/api/v1/events?cursor=${cursor(['2027-03-01T00:00:00.000Z', 'not-a-uuid'])}`), 400);
  });

  it('serves an OpenAPI 3.1 document of its routes, health and metrics', async () => {
    const doc = (await (await request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, object>;
      components: { schemas: Record<string, object> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/api/v1/events', '/api/v1/events/{id}']);
    expect(doc.components.schemas.EventInput).toMatchObject({ properties: { priceMinor: { type: 'integer' } } });
    expect((await request('/healthz')).status).toBe(200);
    expect((await request('/readyz')).status).toBe(200);
    expect(await (await request('/metrics')).text()).toContain('http_requests_total');
  });

  describe('who may write', () => {
    const writes = (id: string): [string, RequestInit][] => [
      ['/api/v1/events', { method: 'POST', ...json(sampleEvent()) }],
      [`/api/v1/events/${id}`, { method: 'PUT', ...json(sampleEvent({ name: 'Taken over' })) }],
      [`/api/v1/events/${id}`, { method: 'PATCH', ...json({ name: 'Taken over' }) }],
      [`/api/v1/events/${id}`, { method: 'DELETE' }],
    ];

    it('401 with WWW-Authenticate for every write without a token; reads stay public', async () => {
      const event = await create();
      for (const [path, init] of writes(event.id)) {
        const response = await anonymous(path, init);
        await expectProblem(response, 401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
      expect((await anonymous(`/api/v1/events/${event.id}`)).status).toBe(200);
      expect((await anonymous('/api/v1/events')).status).toBe(200);
      expect(((await (await anonymous(`/api/v1/events/${event.id}`)).json()) as { version: number }).version).toBe(1);
    });

    it("another organizer's event is 404 to a write, as an unknown one, and stays as it was", async () => {
      const event = await create();
      const other = await issuer.bearer(principals.organizer(randomUUID()));
      for (const [path, init] of writes(event.id).slice(1)) {
        await expectProblem(await anonymous(path, { ...init, headers: { ...(init.headers as object), ...other } }), 404);
      }
      const unchanged = (await (await anonymous(`/api/v1/events/${event.id}`)).json()) as { name: string; version: number };
      expect(unchanged).toMatchObject({ name: exampleEvent.name, version: 1 });
    });

    it('403 to create an event for another organizer, or with a role that does not write events', async () => {
      const other = await issuer.bearer(principals.organizer(randomUUID()));
      await expectProblem(await anonymous('/api/v1/events', { method: 'POST', ...json(sampleEvent(), other) }), 403);
      const event = await create();
      // Nor can an organizer hand its event to another one.
      await expectProblem(await request(`/api/v1/events/${event.id}`, { method: 'PATCH', ...json({ organizerId: randomUUID() }) }), 403);
      for (const principal of [principals.person('admin', 'school-a'), principals.merchant(randomUUID()), principals.provider()]) {
        const headers = await issuer.bearer(principal);
        await expectProblem(await anonymous('/api/v1/events', { method: 'POST', ...json(sampleEvent(), headers) }), 403);
      }
    });

    it('a platform administrator writes any organizer’s events', async () => {
      const event = await create();
      const admin = await issuer.bearer(principals.platformAdmin());
      const response = await anonymous(`/api/v1/events/${event.id}`, { method: 'PATCH', ...json({ capacity: 12 }, admin) });
      expect(response.status).toBe(200);
    });

    it('one Idempotency-Key of two organizers is two requests', async () => {
      const key = randomUUID();
      const otherId = randomUUID();
      const other = await issuer.bearer(principals.organizer(otherId));
      const first = await request('/api/v1/events', { method: 'POST', ...json(sampleEvent(), { 'idempotency-key': key }) });
      const second = await anonymous('/api/v1/events', {
        method: 'POST',
        ...json(sampleEvent({ organizerId: otherId }), { 'idempotency-key': key, ...other }),
      });
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(((await first.json()) as { id: string }).id).not.toBe(((await second.json()) as { id: string }).id);
    });
  });
});
