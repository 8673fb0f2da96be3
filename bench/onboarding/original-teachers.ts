/**
 * The original design's teachers: validate as Eventide's (services/teachers/schema.ts), insert the
 * teacher (the statement TeacherStore.create runs, without its outbox row: this design calls
 * identity instead of publishing), then call identity over HTTP and answer once the user exists.
 * It predates authorization and ignores the bearer token. Pool size as Eventide's services'.
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createLogger } from '../../lib/log.ts';
import { createPool } from '../../lib/pg.ts';
import { migrate } from '../../services/teachers/migrations.ts';
import { teacherInput } from '../../services/teachers/schema.ts';

const pool = createPool({ url: process.env.DATABASE_URL, log: createLogger('original-teachers', 'warn') });
await migrate(pool);
const identityUrl = process.env.IDENTITY_URL as string;

const app = new Hono();
app.get('/readyz', (c) => c.text('ok'));
app.post('/api/v1/teachers', async (c) => {
  const parsed = teacherInput.safeParse(await c.req.json().catch(() => undefined));
  if (!parsed.success) return c.json({ title: 'Invalid request', status: 400 }, 400, { 'content-type': 'application/problem+json' });
  const input = parsed.data;
  const { rows } = await pool.query<{ id: string; version: number; created_at: Date; updated_at: Date }>(
    `INSERT INTO teachers (id, tenant_id, full_name, email, phone_number, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, 1, now(), now()) RETURNING id, version, created_at, updated_at`,
    [randomUUID(), input.tenantId, input.fullName, input.email, input.phoneNumber],
  );
  const row = rows[0] as (typeof rows)[number];
  const created = {
    ...input,
    id: row.id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  const answer = await fetch(`${identityUrl}/internal/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(created),
  });
  if (answer.status !== 201) return c.json({ title: `identity answered ${answer.status}`, status: 502 }, 502);
  return c.json(created, 201);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
