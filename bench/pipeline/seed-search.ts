/**
 * The baseline's search service, as the seeds had it: an HTTP endpoint that indexes one event into
 * Elasticsearch per request. Same mapping and client as ours; no batching, no versioning.
 */
import { Client } from '@elastic/elasticsearch';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { indexBody } from '../../services/search/index-definition.ts';

const es = new Client({ node: process.env.ELASTICSEARCH_URL as string });
const index = process.env.SEED_INDEX ?? 'seed-events';
if (!(await es.indices.exists({ index }))) await es.indices.create({ index, ...indexBody });

const app = new Hono();
app.get('/readyz', (c) => c.text('ok'));
app.put('/index/:id', async (c) => {
  await es.index({ index, id: c.req.param('id'), document: await c.req.json() });
  return c.body(null, 204);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' });
