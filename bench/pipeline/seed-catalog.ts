/**
 * The baseline's catalog, as the seeds had it: validate, insert into PostgreSQL, then call the
 * search service over HTTP and answer only when it has indexed the event. Same validation, pool
 * size and HTTP framework as ours; no outbox, no Kafka.
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';
import { eventInput } from '../../services/catalog/schema.ts';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(
  'CREATE TABLE IF NOT EXISTS seed_events (id uuid PRIMARY KEY, version int NOT NULL, body jsonb NOT NULL, updated_at timestamptz NOT NULL)',
);
const searchUrl = process.env.SEARCH_URL as string;

const app = new Hono();
app.get('/readyz', (c) => c.text('ok'));
app.post('/api/v1/events', async (c) => {
  const parsed = eventInput.safeParse(await c.req.json().catch(() => undefined));
  if (!parsed.success) return c.json({ title: 'Invalid request', status: 400 }, 400, { 'content-type': 'application/problem+json' });
  const id = randomUUID();
  const now = new Date().toISOString();
  const event = { ...parsed.data, id, version: 1, createdAt: now, updatedAt: now };
  await pool.query('INSERT INTO seed_events (id, version, body, updated_at) VALUES ($1, 1, $2, $3)', [id, event, now]);
  const indexed = await fetch(`${searchUrl}/index/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (!indexed.ok) return c.json({ title: 'Search is unavailable', status: 503 }, 503, { 'content-type': 'application/problem+json' });
  return c.json(event, 201);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
