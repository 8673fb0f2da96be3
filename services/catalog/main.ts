/** The catalog: HTTP API over PostgreSQL, and the outbox relay to Kafka, in one process. */
import { serve } from '@hono/node-server';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { startPublisher } from '../../lib/publisher.ts';
import { idempotencyKeysRetention } from '../../lib/retention.ts';
import { runService } from '../../lib/run-service.ts';
import { catalogApi } from './api.ts';
import { catalogConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { EventStore } from './store.ts';

await runService({
  name: 'catalog',
  config: catalogConfig,
  async start({ config, log }) {
    const { pool, outbox, registry, health, stop } = startPublisher({
      name: 'catalog',
      config,
      log,
      setup: migrate,
      // The key the catalog's relay has always held: a rolling update must not elect a second relay.
      lockKey: 'eventide-outbox-relay',
      retention: [idempotencyKeysRetention(config.IDEMPOTENCY_KEY_TTL_HOURS)],
    });
    const app = catalogApi({
      store: new EventStore(pool, outbox),
      verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL),
      registry,
      health,
      log,
      maxBodyBytes: config.MAX_BODY_BYTES,
    });
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
      log.info({ port: info.port }, 'catalog listening'),
    );
    return {
      async stop() {
        log.info('no new requests, draining, flushing the outbox');
        await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        await stop();
      },
    };
  },
});
