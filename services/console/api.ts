/**
 * The console's HTTP surface: the pages (one shell, a script that draws each URL), the session, and
 * the JSON the pages read. Every /api/v1 route but the session's is for platform administrators
 * only (deny by default: the session cookie or a bearer token, verified with identity's key set).
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { type Health, healthRoutes } from '../../lib/health.ts';
import { type Authenticated, authenticate, notFound, type TokenVerifier } from '../../lib/http/bearer.ts';
import { limitBody } from '../../lib/http/body-limit.ts';
import { HttpProblem, invalid } from '../../lib/http/problem.ts';
import { problemErrors } from '../../lib/http/problem-errors.ts';
import { readJson } from '../../lib/http/read-json.ts';
import { requestMetrics } from '../../lib/http/request-metrics.ts';
import { traceRequests } from '../../lib/http/request-tracing.ts';
import type { Logger } from '../../lib/log.ts';
import type { ClusterResources } from './cluster.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { KafkaSide } from './kafka-side.ts';
import { sessionRoutes, sessionToken } from './session.ts';
import type { Traces } from './traces.ts';
import { groupView, topicView } from './views.ts';

export interface ConsoleApiDeps {
  cluster: ClusterResources;
  kafka: KafkaSide;
  deadLetters: DeadLetters;
  traces: Traces;
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

export function consoleApi({
  cluster,
  kafka,
  deadLetters,
  traces,
  verify,
  identityUrl,
  script,
  health,
  registry,
  log,
}: ConsoleApiDeps): Hono {
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
  const api = new Hono<Authenticated>();
  api.use(authenticate(verify, ['platform-admin'], sessionToken));

  api.get('/topics', async (c) => {
    const topics = cluster.topics();
    const items = await Promise.all(topics.map(async (t) => topicView(t, await kafka.partitions(topicNameOf(t)))));
    return c.json({ items });
  });
  api.get('/topics/:name', async (c) => {
    const topic = cluster.topic(c.req.param('name'));
    if (!topic) throw notFound(`Topic ${c.req.param('name')}`);
    return c.json(topicView(topic, await kafka.partitions(topicNameOf(topic))));
  });
  api.get('/topics/:name/records', async (c) => {
    const topic = cluster.topic(c.req.param('name'));
    if (!topic) throw notFound(`Topic ${c.req.param('name')}`);
    return c.json({ items: await kafka.latest(topicNameOf(topic)) });
  });
  api.get('/groups', (c) => c.json({ items: cluster.groups().map((g) => groupView(g, undefined)) }));
  api.get('/groups/:name', async (c) => {
    const group = cluster.group(c.req.param('name'));
    if (!group) throw notFound(`ConsumerGroup ${c.req.param('name')}`);
    const view = groupView(group, undefined);
    return c.json({ ...view, members: await kafka.members(view.groupId), timeline: cluster.timeline(view.name) });
  });
  /** The Kafka group id of a ConsumerGroup of this namespace: only those have dead letters to show. */
  const groupIdOf = (name: string) => {
    const group = cluster.group(name);
    if (!group) throw notFound(`ConsumerGroup ${name}`);
    return groupView(group, undefined).groupId;
  };
  api.get('/groups/:name/dead-letters', async (c) => {
    const query = deadLetterQuery.safeParse(c.req.query());
    if (!query.success) throw invalid(query.error, 'query');
    return c.json(await deadLetters.list(groupIdOf(c.req.param('name')), query.data));
  });
  api.post('/groups/:name/redrive', limitBody(16 * 1024), async (c) => {
    const body = redriveBody.safeParse(await readJson(c));
    if (!body.success) throw invalid(body.error);
    const group = groupIdOf(c.req.param('name'));
    const report = await deadLetters.redrive(group, body.data);
    log.info({ group, dryRun: body.data.dryRun, selected: report.selected, moved: report.moved, by: c.get('principal').sub }, 'redrive');
    return c.json(report);
  });
  api.get('/traces/:id', async (c) => c.json(await traces.get(c.req.param('id'))));
  app.route('/api/v1', api);
  app.all('/api/*', () => {
    throw new HttpProblem(404, 'Not found', 'no such console API');
  });

  app.get('/ui/console.js', async (c) =>
    c.body(await script(), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/', (c) => c.redirect('/topics'));
  for (const path of ['/login', '/topics', '/topics/:name', '/groups', '/groups/:name', '/groups/:name/dead-letters', '/traces/:id'])
    app.get(path, (c) => c.html(page, 200, { 'cache-control': 'no-store' }));
  return app;
}

const topicNameOf = (topic: { metadata?: { name?: string }; spec?: Record<string, unknown> }) =>
  typeof topic.spec?.topicName === 'string' ? topic.spec.topicName : (topic.metadata?.name ?? '');

const deadLetterQuery = z.object({
  reason: z.string().max(1_000).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});
const redriveBody = z.strictObject({
  reason: z.string().max(1_000).optional(),
  offsets: z.string().max(1_000).optional(),
  dryRun: z.boolean({ error: 'dryRun is required: true to see what would move, false to move it' }),
});
