import { type ServerType, serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { Registry } from 'prom-client';

/** true/false, or the same with a word on why, shown on the probe's page. */
export type CheckResult = boolean | { ok: boolean; detail?: string };
export type Check = () => CheckResult | Promise<CheckResult>;
export type CheckKind = 'live' | 'ready';

/**
 * Named liveness and readiness checks. Live: the process is not stuck (failing makes the kubelet
 * restart it), so keep these few. Ready: it can do its job now (failing takes it out of the Service).
 * A check that does not answer within `timeoutMs` has failed: a probe must answer while the
 * dependency it asks about hangs (a paused database held /readyz as long as it was paused).
 */
export class Health {
  private readonly checks: Record<CheckKind, Map<string, Check>> = { live: new Map(), ready: new Map() };
  private readonly timeoutMs: number;

  constructor({ timeoutMs = 2_000 }: { timeoutMs?: number } = {}) {
    this.timeoutMs = timeoutMs;
  }

  live(name: string, check: Check): this {
    this.checks.live.set(name, check);
    return this;
  }

  ready(name: string, check: Check): this {
    this.checks.ready.set(name, check);
    return this;
  }

  /** Every check of the kind must pass; one that throws has failed, with its message as the detail. */
  async report(kind: CheckKind): Promise<{ ok: boolean; text: string }> {
    const results = await Promise.all(
      [...this.checks[kind]].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        });
        try {
          const result = await Promise.race([Promise.resolve().then(check), late]);
          return { name, ...(typeof result === 'boolean' ? { ok: result } : result) };
        } catch (error) {
          return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const failed = results.filter((r) => !r.ok);
    if (failed.length === 0) return { ok: true, text: 'ok' };
    return { ok: false, text: failed.map((r) => `${r.name}: ${r.detail ?? 'failed'}`).join('\n') };
  }
}

/** /healthz and /readyz for the kubelet (200 or 503, with the failing checks), /metrics for Prometheus. */
export function healthRoutes(app: Hono, { health, registry }: { health: Health; registry: Registry }): void {
  const probe = (kind: CheckKind) => async (c: Context) => {
    const { ok, text } = await health.report(kind);
    return c.text(text, ok ? 200 : 503);
  };
  app.get('/healthz', probe('live'));
  app.get('/readyz', probe('ready'));
  app.get('/metrics', async (c) => c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }));
}

export interface HealthServerOptions {
  /** 0: any free port, reported back. */
  port: number;
  health: Health;
  registry: Registry;
  hostname?: string;
}

/** A server with only the health routes, for processes that serve nothing else over HTTP. */
export function startHealthServer({
  port,
  health,
  registry,
  hostname = '0.0.0.0',
}: HealthServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const app = new Hono();
  healthRoutes(app, { health, registry });
  return new Promise((resolve, reject) => {
    const server: ServerType = serve({ fetch: app.fetch, port, hostname }, (info) => {
      server.off('error', reject);
      resolve({ port: info.port, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
    // e.g. EADDRINUSE: the caller's start fails instead of the process crashing on an unhandled event.
    server.once('error', reject);
  });
}
