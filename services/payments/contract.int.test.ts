// @needs postgres
import { type ServerType, serve } from '@hono/node-server';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { checkContract } from '../../test/contract/openapi-contract.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { paymentsApi } from './api.ts';
import { paymentsConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { PaymentStore } from './store.ts';

let pool: pg.Pool;
let server: ServerType;
let baseUrl: string;
let issuer: TokenIssuer;
let as: { admin: Record<string, string>; provider: Record<string, string> };

beforeAll(async () => {
  issuer = await startTokenIssuer();
  as = { admin: await issuer.bearer(principals.platformAdmin()), provider: await issuer.bearer(principals.provider()) };
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 10 });
  await migrate(pool);
  // The API as service.ts builds it (the relay and the ledger's answers are not needed to answer HTTP),
  // verifying tokens against the issuer's JWKS as IDENTITY_JWKS_URL makes it, with the default limit per movement.
  const app = paymentsApi({
    store: new PaymentStore(pool),
    verify: remoteJwtVerifier(issuer.jwksUrl),
    maxAmountMinor: paymentsConfig.shape.MAX_AMOUNT_MINOR.parse(undefined),
    registry: new Registry(),
    health: new Health().ready('database', async () => (await pool.query('SELECT 1')).rowCount === 1),
    log: pino({ level: 'silent' }),
  });
  await new Promise<void>((listening) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      baseUrl = `http://127.0.0.1:${info.port}`;
      listening();
    });
  });
});
afterAll(async () => {
  await new Promise((closed) => server?.close(closed));
  await pool?.end();
  await issuer?.stop();
});

describe('payments HTTP API against its own OpenAPI document, on a real PostgreSQL', () => {
  it('answers every request generated from the document as the document says', async () => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as object;
    // The platform administrator for everything but the completion, which only the payment provider may call.
    const report = await checkContract(document, baseUrl, {
      credentials: (method, path) => (method === 'post' && path.endsWith('/complete') ? as.provider : as.admin),
    });
    console.log('REQUESTS', report.requests);
    expect(report.violations).toEqual([]);
    expect(report.requests).toBeGreaterThan(50);
  });
});
