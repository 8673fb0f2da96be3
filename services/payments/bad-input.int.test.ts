// @needs postgres
/**
 * Input PostgreSQL cannot keep is refused with a 400 naming the field, never a 500: payments' API
 * as service.ts builds it, on a real PostgreSQL, with tokens from a stand-in issuer.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { freshDatabase } from '../catalog/testing/fixtures.ts';
import { paymentsApi } from './api.ts';
import { paymentsConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { exampleMerchant } from './openapi.ts';
import { PaymentStore } from './store.ts';

let pool: pg.Pool;
let issuer: TokenIssuer;
let app: ReturnType<typeof paymentsApi>;
let admin: Record<string, string>;

beforeAll(async () => {
  issuer = await startTokenIssuer();
  admin = await issuer.bearer(principals.platformAdmin());
  pool = new pg.Pool({ connectionString: await freshDatabase(inject('databaseUrl')), max: 4 });
  await migrate(pool);
  app = paymentsApi({
    store: new PaymentStore(pool),
    verify: remoteJwtVerifier(issuer.jwksUrl),
    maxAmountMinor: paymentsConfig.shape.MAX_AMOUNT_MINOR.parse(undefined),
    registry: new Registry(),
    health: new Health(),
    log: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await pool?.end();
  await issuer?.stop();
});

const createMerchant = (text: string) =>
  app.request('/api/v1/merchants', {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: text,
  });

describe('payments refuses text PostgreSQL cannot keep', () => {
  it('a merchant name with NUL or an unpaired surrogate is a 400 naming the field; nothing is stored', async () => {
    for (const name of ['Kiosk\\u0000am Hafen', '\\u0000', 'Kiosk \\ud800', 'Kiosk \\udc00 am Hafen']) {
      const response = await createMerchant(`{"name":"${name}","email":"kiosk@shop.example","currency":"EUR"}`);
      const text = await response.text();
      expect(response.status, `${name}: ${text}`).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ status: 400, errors: [{ path: 'name' }] });
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM merchants')).rows[0].n).toBe(0);
    // The same merchant with text that is text is taken, an emoji's surrogate pair included.
    const created = await createMerchant(JSON.stringify({ ...exampleMerchant, name: 'Kiosk am Hafen 😀' }));
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { name: string }).name).toBe('Kiosk am Hafen 😀');
  });

  it('a cursor that is not an id this API returned is a 400, never reaching SQL', async () => {
    for (const cursor of ['-'.repeat(36), '%00', 'zzz', `${randomUUID()}%00`]) {
      const response = await app.request(`/api/v1/merchants?cursor=${cursor}`, { headers: admin });
      expect(response.status, cursor).toBe(400);
    }
  });
});
