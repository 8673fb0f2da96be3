/** search-api: HTTP search over the `events` alias. */
import { Client } from '@elastic/elasticsearch';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { searchApi } from './api.ts';
import { apiConfig, load } from './config.ts';

let config: ReturnType<typeof apiConfig.parse>;
try {
  config = load(apiConfig, process.env, 'search-api');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const log = pino({ name: 'search-api', level: config.LOG_LEVEL, timestamp: pino.stdTimeFunctions.isoTime });
const auth = config.ELASTICSEARCH_USERNAME
  ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? '' }
  : undefined;
const es = new Client({ node: config.ELASTICSEARCH_URL, maxRetries: 1, requestTimeout: 5_000, ...(auth ? { auth } : {}) });
const app = searchApi({ es, registry: new Registry(), log });
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
  log.info({ port: info.port }, 'search-api listening'),
);
const shutdown = () => server.close(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
