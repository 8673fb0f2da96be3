/** identity's process: users for teachers (from teachers.events, exactly once), activation, login and JWKS, in one process. */
import type { Hono } from 'hono';
import { createLocalJWKSet } from 'jose';
import type { z } from 'zod';
import { EventConsumer, eachEventOnce } from '../../lib/consumer/runtime.ts';
import { serveAndConsume } from '../../lib/consuming-service.ts';
import { jwtVerifier } from '../../lib/http/bearer.ts';
import { Inbox } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import type { ServiceContext } from '../../lib/main.ts';
import { startPublisher } from '../../lib/publisher.ts';
import { Accounts } from './accounts.ts';
import { type IdentityState, identityApi } from './api.ts';
import { Auth, ensureBootstrapAdmin } from './auth.ts';
import type { identityConfig } from './config.ts';
import { teacherChangeOf, teacherEvents } from './events.ts';
import { migrate } from './migrations.ts';
import { loadSigningKey } from './signing-keys.ts';

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startIdentity({
  config,
  log,
  exit,
}: ServiceContext<z.infer<typeof identityConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  let state: IdentityState | undefined;
  // The schema, then the signing key and the bootstrap administrator: all need PostgreSQL, which may not be there yet.
  const publisher = startPublisher({
    name: 'identity',
    config,
    log,
    setup: async (pool) => {
      const applied = await migrate(pool);
      const key = await loadSigningKey(pool);
      await ensureBootstrapAdmin(pool, {
        tenantId: config.BOOTSTRAP_ADMIN_TENANT,
        email: config.BOOTSTRAP_ADMIN_EMAIL,
        password: config.BOOTSTRAP_ADMIN_PASSWORD,
      });
      const jwks = { keys: [key.publicJwk] };
      state = {
        auth: new Auth({
          pool,
          key,
          limits: {
            perAccount: { limit: config.LOGIN_ATTEMPTS_PER_ACCOUNT, windowMs: 15 * 60_000 },
            perAddress: { limit: config.LOGIN_ATTEMPTS_PER_ADDRESS, windowMs: 60_000 },
          },
        }),
        jwks,
        verify: jwtVerifier(createLocalJWKSet(jwks)),
      };
      return applied;
    },
  });
  const { pool, registry, health } = publisher;

  const inbox = new Inbox({ pool, group: config.KAFKA_GROUP_ID });
  const accounts = new Accounts({ tenants: new Set(config.TENANTS), tokenTtlMs: config.ACTIVATION_TOKEN_TTL_HOURS * 3600_000 });
  const consumer = new EventConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    contracts: teacherEvents,
    log,
    maxRecordsPerSecond: config.MAX_RECORDS_PER_SECOND || undefined,
    prepare: publisher.requireSetUp,
    handle: eachEventOnce(inbox, (tx, event) => accounts.apply(tx, teacherChangeOf(event))),
  });
  const app = identityApi({ pool, state: () => state, trustProxy: config.TRUST_PROXY, registry, health, log });
  const running = serveAndConsume({ name: 'identity', app, port: config.PORT, consumer, publisher, log, exit });
  return { app, stop: running.stop };
}
