/** search-api: HTTP search over the `events` alias. */
import { serve } from '@hono/node-server';
import { Registry } from 'prom-client';
import { runService } from '../../lib/run-service.ts';
import { searchApi } from './api.ts';
import { apiConfig } from './config.ts';
import { elasticsearchClient } from './elasticsearch.ts';

await runService({
  name: 'search-api',
  config: apiConfig,
  async start({ config, log }) {
    // No retry inside a request: a second attempt would double the wait; the client retries after Retry-After.
    const es = elasticsearchClient(config, { requestTimeout: config.ELASTICSEARCH_TIMEOUT_MS, maxRetries: 0 });
    const app = searchApi({ es, registry: new Registry(), log });
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
      log.info({ port: info.port }, 'search-api listening'),
    );
    return { stop: () => new Promise<void>((done) => server.close(() => done())) };
  },
});
