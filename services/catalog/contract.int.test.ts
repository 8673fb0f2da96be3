// @needs postgres
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { exampleEvent } from './openapi.ts';
import { freshDatabase, inProcessCatalog } from './testing/fixtures.ts';

let catalog: Awaited<ReturnType<typeof inProcessCatalog>>;
let server: ServerType;
let baseUrl: string;
let issuer: TokenIssuer;
let organizer: Record<string, string>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  organizer = await issuer.bearer(principals.organizer(exampleEvent.organizerId));
  catalog = await inProcessCatalog(await freshDatabase(inject('databaseUrl')), remoteJwtVerifier(issuer.jwksUrl));
  await new Promise<void>((listening) => {
    server = serve({ fetch: catalog.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      baseUrl = `http://127.0.0.1:${info.port}`;
      listening();
    });
  });
});
afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  await catalog.pool.end();
  await issuer.stop();
});

describe('catalog HTTP API against its own OpenAPI document, on a real PostgreSQL', () => {
  it('answers every request generated from the document as the document says', async () => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as object;
    const report = await checkContract(document, baseUrl, { credentials: () => organizer });
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(100);
  });
});
