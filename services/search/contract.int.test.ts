// @needs elasticsearch
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { type ServerType, serve } from '@hono/node-server';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { sampleEvent } from '../catalog/testing/fixtures.ts';
import { searchApi } from './api.ts';
import { ensureIndex } from './index-admin.ts';

const es = new Client({ node: inject('elasticsearchUrl') });
// Its own index, so documents other suites leave in `events` cannot make this one pass or fail.
const index = `contract-${randomUUID()}`;
let server: ServerType;
let baseUrl: string;

beforeAll(async () => {
  await ensureIndex(es, index);
  const now = new Date().toISOString();
  // Documents as the indexer writes them: the catalog's events as published.
  const docs = ['concert', 'talk', 'concert'].map((category, i) => ({
    ...sampleEvent({ category, startsAt: `2027-0${i + 1}-01T19:00:00.000Z`, endsAt: `2027-0${i + 1}-01T22:00:00.000Z` }),
    id: randomUUID(),
    version: 1,
    createdAt: now,
    updatedAt: now,
  }));
  await es.bulk({ refresh: 'wait_for', operations: docs.flatMap((d) => [{ index: { _index: index, _id: d.id } }, d]) });
  const app = searchApi({ es, registry: new Registry(), log: pino({ level: 'silent' }), index });
  await new Promise<void>((listening) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      baseUrl = `http://127.0.0.1:${info.port}`;
      listening();
    });
  });
});
afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  await es.indices.delete({ index });
  await es.close();
});

describe('search API against its own OpenAPI document, on a real Elasticsearch', () => {
  it('serves the document and answers every request generated from it as it says', async () => {
    const response = await fetch(`${baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const report = await checkContract((await response.json()) as object, baseUrl);
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(50);
  });
});
