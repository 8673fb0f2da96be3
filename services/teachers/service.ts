/** teachers' process: the administrators' API over PostgreSQL, and the outbox relay to teachers.events, in one process. */
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { startPublisher } from '../../lib/publisher.ts';
import type { ServiceContext } from '../../lib/run-service.ts';
import { teachersApi } from './api.ts';
import type { teachersConfig } from './config.ts';
import { migrate } from './migrations.ts';
import { TeacherStore } from './store.ts';

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startTeachers({
  config,
  log,
}: ServiceContext<z.infer<typeof teachersConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  const publisher = startPublisher({ name: 'teachers', config, log, setup: migrate });
  const { pool, registry, health } = publisher;
  const app = teachersApi({
    store: new TeacherStore(pool, publisher.outbox),
    verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL),
    tenants: new Set(config.TENANTS),
    registry,
    health,
    log,
  });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' }, (info) =>
    log.info({ port: info.port }, 'teachers listening'),
  );
  return {
    app,
    async stop() {
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      await publisher.stop();
    },
  };
}
