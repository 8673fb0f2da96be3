/**
 * The original design's payments API, for bench/payments only: a completion updates the payment's
 * row (one commit), then publishes to Kafka with acks from all replicas and answers — publish after
 * commit, as the seeds did, so a crash between the two loses the event. Same HTTP framework, pool
 * size and partitioner as payments; no authorization and no idempotency keys (the seeds predate them).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import kafkajs from 'kafkajs';
import pg from 'pg';

const topic = process.env.KAFKA_TOPIC ?? 'original.payments';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(
  'CREATE TABLE IF NOT EXISTS payments (id uuid PRIMARY KEY, merchant_id uuid NOT NULL, amount bigint NOT NULL, status text NOT NULL)',
);
const producer = new kafkajs.Kafka({
  clientId: 'original-payments',
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  logLevel: kafkajs.logLevel.NOTHING,
}).producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();

const app = new Hono();
app.get('/readyz', (c) => c.text('ok'));
app.post('/api/v1/merchants/:id/payments', async (c) => {
  const { amountMinor } = (await c.req.json().catch(() => ({}))) as { amountMinor?: unknown };
  if (!Number.isSafeInteger(amountMinor) || (amountMinor as number) <= 0) return c.json({ title: 'Invalid amount', status: 400 }, 400);
  const { rows } = await pool.query<{ id: string }>(
    "INSERT INTO payments (id, merchant_id, amount, status) VALUES (gen_random_uuid(), $1, $2, 'created') RETURNING id",
    [c.req.param('id'), amountMinor],
  );
  return c.json({ id: rows[0]?.id }, 201);
});
app.post('/api/v1/merchants/:id/payments/:paymentId/complete', async (c) => {
  const [merchantId, paymentId] = [c.req.param('id'), c.req.param('paymentId')];
  const { rows } = await pool.query<{ amount: string }>(
    "UPDATE payments SET status = 'completed' WHERE id = $1 AND merchant_id = $2 AND status = 'created' RETURNING amount",
    [paymentId, merchantId],
  );
  if (!rows[0]) return c.json({ title: 'No such payment, or completed already', status: 409 }, 409);
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key: merchantId, value: JSON.stringify({ paymentId, merchantId, amountMinor: Number(rows[0].amount) }) }],
  });
  return c.json({ id: paymentId, status: 'completed' });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
