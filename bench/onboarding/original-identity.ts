/**
 * The original design's identity: an internal endpoint the teachers service calls before it
 * answers, creating the teacher's user and activation token with Eventide's identity domain code
 * (services/identity/accounts.ts) in one transaction — the activation request goes into its outbox
 * for the deliverer, as Eventide's does; no Kafka, no inbox. Pool size as Eventide's services'.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createLogger } from '../../lib/log.ts';
import { createPool, inTransaction } from '../../lib/pg.ts';
import { Accounts } from '../../services/identity/accounts.ts';
import { migrate } from '../../services/identity/migrations.ts';

const pool = createPool({ url: process.env.DATABASE_URL, log: createLogger('original-identity', 'warn') });
await migrate(pool);
const accounts = new Accounts({ tenants: new Set((process.env.TENANTS ?? '').split(',')), tokenTtlMs: 72 * 3600_000 });

const app = new Hono();
app.get('/readyz', (c) => c.text('ok'));
app.post('/internal/users', async (c) => {
  const teacher = (await c.req.json()) as { id: string; tenantId: string; version: number; email: string; phoneNumber: string };
  await inTransaction(pool, (tx) =>
    accounts.apply(tx, {
      kind: 'created',
      teacherId: teacher.id,
      tenantId: teacher.tenantId,
      version: teacher.version,
      email: teacher.email,
      phoneNumber: teacher.phoneNumber,
    }),
  );
  return c.body(null, 201);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
