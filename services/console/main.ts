/** console: the platform as a person looks at it — Topics, ConsumerGroups with lag and replicas over time — for platform administrators. */
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { browserBundle } from '../../lib/browser-bundle.ts';
import { Health } from '../../lib/health.ts';
import { remoteJwtVerifier } from '../../lib/http/bearer.ts';
import { kafkaSecurity } from '../../lib/kafka.ts';
import { runService } from '../../lib/run-service.ts';
import { consoleApi } from './api.ts';
import { ClusterResources } from './cluster.ts';
import { consoleConfig } from './config.ts';
import { DeadLetters } from './dead-letters.ts';
import { KafkaSide } from './kafka-side.ts';
import { Traces } from './traces.ts';

await runService({
  name: 'console',
  config: consoleConfig,
  async start({ config, log, exit }) {
    // In a Pod: its ServiceAccount's token; elsewhere KUBECONFIG (the node agent writes one per Pod).
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const cluster = new ClusterResources({ kc, namespace: config.WATCH_NAMESPACE, historyMs: config.HISTORY_MINUTES * 60_000, log });
    const kafka = new KafkaSide({ brokers: config.KAFKA_BROKERS, security: kafkaSecurity(config), log });
    const health = new Health().ready('kubernetes', () => cluster.ready);
    const registry = new Registry();
    // Beside this program in the image (scripts/bundle.ts); built from ui/ when it runs from source.
    const script = browserBundle(join(import.meta.dirname, 'console-ui.js'), join(import.meta.dirname, 'ui/main.ts'));
    script.catch((error: unknown) => exit(1, `the pages' script could not be built: ${(error as Error).message}`));
    const app = consoleApi({
      cluster,
      kafka,
      deadLetters: new DeadLetters({ brokers: config.KAFKA_BROKERS, security: kafkaSecurity(config), log }),
      traces: new Traces(config.JAEGER_QUERY_URL),
      verify: remoteJwtVerifier(config.IDENTITY_JWKS_URL),
      identityUrl: config.IDENTITY_URL,
      script: () => script,
      health,
      registry,
      log,
    });
    const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '0.0.0.0' });
    // Lists until the API server answers (not ready meanwhile), then keeps watching.
    cluster.start().catch((error: unknown) => exit(1, `the watches could not start: ${(error as Error).message}`));
    return {
      async stop() {
        server.close();
        await Promise.allSettled([cluster.stop(), kafka.stop()]);
      },
    };
  },
});
