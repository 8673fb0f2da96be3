/** identity's process: users for teachers (from teachers.events, exactly once), activation, login, machine clients and JWKS, in one process. */
import type { Hono } from 'hono';
import type { z } from 'zod';
import { EventConsumer } from '../../lib/consumer/event-consumer.ts';
import { serveAndConsume } from '../../lib/consuming-service.ts';
import { jwtVerifier } from '../../lib/http/bearer.ts';
import { Inbox } from '../../lib/inbox.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { startPublisher } from '../../lib/publisher.ts';
import type { ServiceContext } from '../../lib/run-service.ts';
import { Accounts } from './accounts.ts';
import { type IdentityState, identityApi } from './api.ts';
import { Auth } from './auth.ts';
import { ensureBootstrapAdmin, ensureBootstrapProviderClient } from './bootstrap.ts';
import { ClientCredentialsGrant } from './client-grant.ts';
import { Clients } from './clients.ts';
import type { identityConfig } from './config.ts';
import { teacherEvents } from './events.ts';
import { migrate } from './migrations.ts';
import { PasswordHasher } from './passwords.ts';
import { RateLimiter } from './rate-limit.ts';
import { KeyRing } from './signing-keys.ts';
import { teacherChangesHandler } from './teacher-changes.ts';

/** Starts the service on its port; stop() drains and closes it. The app is for tests' in-process requests. */
export async function startIdentity({
  config,
  log,
  exit,
}: ServiceContext<z.infer<typeof identityConfig>>): Promise<{ app: Hono; stop: () => Promise<void> }> {
  let state: IdentityState | undefined;
  const deliveryKey = config.ACTIVATION_DELIVERY_PUBLIC_JWK;
  if (deliveryKey) log.info({ kid: deliveryKey.kid, alg: deliveryKey.alg }, 'activation tokens are sealed to the deliverer key');
  else log.warn('ACTIVATION_TOKEN_IN_CLEAR: activation tokens go out in clear on identity.events (development only)');
  // Every scrypt of this process (logins, activations, client secrets, the bootstrap) takes its turn here.
  const passwords = new PasswordHasher({ concurrency: config.PASSWORD_HASH_CONCURRENCY, queue: config.PASSWORD_HASH_QUEUE });
  const perAccount = { limit: config.LOGIN_ATTEMPTS_PER_ACCOUNT, windowMs: 15 * 60_000 };
  // One budget per caller address, whatever it tries: login, activation, resends and client authentication.
  const perAddress = new RateLimiter({ limit: config.LOGIN_ATTEMPTS_PER_ADDRESS, windowMs: 60_000 });
  let ring: KeyRing | undefined;
  // The schema, then the signing keys and what the Secret names: all need PostgreSQL, which may not be there yet.
  const publisher = startPublisher({
    name: 'identity',
    config,
    log,
    setup: async (pool) => {
      const applied = await migrate(pool);
      await ensureBootstrapAdmin(pool, passwords, {
        tenantId: config.BOOTSTRAP_ADMIN_TENANT,
        email: config.BOOTSTRAP_ADMIN_EMAIL,
        password: config.BOOTSTRAP_ADMIN_PASSWORD,
      });
      const provider = config.BOOTSTRAP_PROVIDER_CLIENT_ID;
      const secret = config.BOOTSTRAP_PROVIDER_CLIENT_SECRET;
      await ensureBootstrapProviderClient(pool, passwords, provider && secret ? { clientId: provider, secret } : undefined);
      const keys = new KeyRing({ pool, rotateAfterMs: config.SIGNING_KEY_ROTATION_HOURS * 3600_000 });
      ring = keys;
      await keys.start(log);
      const sign = keys.sign.bind(keys);
      const clients = new Clients({ pool, overlapMs: config.CLIENT_SECRET_OVERLAP_SECONDS * 1000, passwords });
      state = {
        auth: new Auth({
          pool,
          accounts,
          sign,
          passwords,
          limits: {
            perAddress,
            perAccount: new RateLimiter(perAccount),
            resendsPerAccount: new RateLimiter({ limit: config.ACTIVATION_RESENDS_PER_ACCOUNT, windowMs: 3600_000 }),
          },
        }),
        clients,
        grant: new ClientCredentialsGrant({ clients, sign, perClient: new RateLimiter(perAccount), perAddress }),
        jwks: () => keys.jwks(),
        verify: jwtVerifier(keys.verificationKeys),
      };
      return applied;
    },
  });
  const { pool, registry, health } = publisher;
  // Made after the publisher, whose outbox it appends to; set-up only uses it once migrations ran.
  const accounts = new Accounts({
    tenants: new Set(config.TENANTS),
    tokenTtlMs: config.ACTIVATION_TOKEN_TTL_HOURS * 3600_000,
    delivery: deliveryKey ? { kind: 'sealed', key: deliveryKey } : { kind: 'clear' },
    outbox: publisher.outbox,
  });

  const inbox = new Inbox({ pool, group: config.KAFKA_GROUP_ID });
  const consumer = new EventConsumer({
    brokers: config.KAFKA_BROKERS,
    security: kafkaSecurity(config),
    groupId: config.KAFKA_GROUP_ID,
    topic: config.KAFKA_TOPIC,
    contracts: teacherEvents,
    log,
    maxRecordsPerSecond: config.MAX_RECORDS_PER_SECOND || undefined,
    prepare: publisher.requireSetUp,
    handle: teacherChangesHandler(inbox, accounts),
  });
  const app = identityApi({
    pool,
    state: () => state,
    accounts,
    tenants: new Set(config.TENANTS),
    trustProxy: config.TRUST_PROXY,
    registry,
    health,
    log,
  });
  const running = serveAndConsume({ name: 'identity', app, port: config.PORT, consumer, publisher, log, exit });
  return {
    app,
    async stop() {
      // The keys' timer uses the pool: stopped first, and again after set-up, which stopping waits for and may have started it meanwhile.
      await ring?.stop();
      await running.stop();
      await ring?.stop();
    },
  };
}
