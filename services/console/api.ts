/**
 * The console's HTTP surface: the pages (one shell, a script that draws each URL), the session, and
 * the JSON the pages read. Every /api/v1 route but the session's is for platform administrators
 * only (deny by default: the session cookie or a bearer token, verified with identity's key set).
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Registry } from 'prom-client';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { authenticate, notFound, type TokenVerifier } from '../../lib/http/bearer.ts';
import { HttpProblem } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import type { Logger } from '../../lib/log.ts';
import type { ClusterResources } from './cluster.ts';
import type { KafkaSide } from './kafka-side.ts';
import { sessionRoutes, sessionToken } from './session.ts';
import { groupView, topicView } from './views.ts';

export interface ConsoleApiDeps {
  cluster: ClusterResources;
  kafka: KafkaSide;
  verify: TokenVerifier;
  identityUrl: string;
  /** The pages' script (lib/browser-bundle.ts). */
  script: () => Promise<string>;
  health: Health;
  registry: Registry;
  log: Logger;
}

const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Eventide console</title></head>
<body><noscript>The console needs JavaScript.</noscript><script type="module" src="/ui/console.js"></script></body>
</html>`;

export function consoleApi({ cluster, kafka, verify, identityUrl, script, health, registry, log }: ConsoleApiDeps): Hono {
  const app = new Hono();
  app.use(traceRequests(), requestMetrics(registry));
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // uPlot sets element styles, and its stylesheet arrives as a <style> of the bundle.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  );
  problemErrors(app, { log });
  healthRoutes(app, { health, registry });

  // A cookie rides along with any request the browser sends here: a write from another origin is refused.
  app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '/api/*', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin) throw new HttpProblem(403, 'Forbidden', 'a write from another site');
    await next();
  });
  sessionRoutes(app, { identityUrl, verify });
  app.use('/api/v1/*', authenticate(verify, ['platform-admin'], sessionToken));

  app.get('/api/v1/topics', async (c) => {
    const topics = cluster.topics();
    const items = await Promise.all(topics.map(async (t) => topicView(t, await kafka.partitions(topicNameOf(t)))));
    return c.json({ items });
  });
  app.get('/api/v1/topics/:name', async (c) => {
    const topic = cluster.topic(c.req.param('name'));
    if (!topic) throw notFound(`Topic ${c.req.param('name')}`);
    return c.json(topicView(topic, await kafka.partitions(topicNameOf(topic))));
  });
  app.get('/api/v1/groups', (c) => c.json({ items: cluster.groups().map((g) => groupView(g, undefined)) }));
  app.get('/api/v1/groups/:name', async (c) => {
    const group = cluster.group(c.req.param('name'));
    if (!group) throw notFound(`ConsumerGroup ${c.req.param('name')}`);
    const view = groupView(group, undefined);
    return c.json({ ...view, members: await kafka.members(view.groupId), timeline: cluster.timeline(view.name) });
  });
  app.all('/api/*', () => {
    throw new HttpProblem(404, 'Not found', 'no such console API');
  });

  app.get('/ui/console.js', async (c) =>
    c.body(await script(), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/', (c) => c.redirect('/topics'));
  for (const path of ['/login', '/topics', '/topics/:name', '/groups', '/groups/:name'])
    app.get(path, (c) => c.html(page, 200, { 'cache-control': 'no-store' }));
  return app;
}

const topicNameOf = (topic: { metadata?: { name?: string }; spec?: Record<string, unknown> }) =>
  typeof topic.spec?.topicName === 'string' ? topic.spec.topicName : (topic.metadata?.name ?? '');
