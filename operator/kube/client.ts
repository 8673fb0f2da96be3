import {
  type Configuration,
  createConfiguration,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  type SecurityAuthentication,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import { backoffMs, sleep } from '../../lib/backoff.ts';
import { inSpan, inTrace, SpanKind } from '../../lib/tracing.ts';
import { TokenBucket } from '../runtime/token-bucket.ts';

export interface KubeClientOptions {
  /** Requests per second to the API server, as client-go's QPS. */
  qps: number;
  /** Requests allowed at once above the rate after a quiet spell, as client-go's Burst. */
  burst: number;
  /** Retries of a request the API server answered 429 (API Priority and Fairness); default 5. */
  retries?: number;
  /** Every answer the API server gave: method, path and status (429s included), for metrics. */
  onResponse?: (method: string, url: string, status: number) => void;
}

/**
 * How long to wait after a 429: what its Retry-After asks (seconds), plus a random share of our own
 * backoff — the requests one burst had refused come back spread out instead of as the same burst.
 */
export function retryDelayMs(retryAfter: string | undefined, attempt: number, random = Math.random): number {
  const seconds = Number(retryAfter);
  const asked = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
  return Math.min(30_000, asked + backoffMs(attempt, { baseMs: 250, maxMs: 10_000, jitter: 1, random }));
}

/**
 * The resource a request is about, for a metric label without names in it:
 * `/apis/eventide.dev/v1alpha1/namespaces/a/topics/b/status` → `topics/status`.
 */
export function resourceOf(url: string): string {
  const segments = new URL(url, 'http://x').pathname.split('/').filter(Boolean);
  const at = segments.indexOf('namespaces');
  // Cluster-scoped paths: /api/v1/<resource>[/<name>…] or /apis/<group>/<version>/<resource>[/<name>…].
  const rest = at >= 0 && segments.length > at + 2 ? segments.slice(at + 2) : segments.slice(segments[0] === 'api' ? 2 : 3);
  const [resource = 'unknown', , subresource] = rest;
  return subresource ? `${resource}/${subresource}` : resource;
}

/**
 * API clients that share one client-side rate limit, one connection pool, and ride out 429s, so a
 * controller with thousands of keys neither floods the API server nor fails a reconcile on a
 * throttled request. Watches are not limited (client-node opens them with its own fetch), as they
 * are long-lived.
 */
export class KubeClients {
  private readonly config: Configuration;

  constructor(kc: KubeConfig, options: KubeClientOptions) {
    const bucket = new TokenBucket(options.qps, options.burst);
    const inner = new IsomorphicFetchHttpLibrary();
    const retries = options.retries ?? 5;
    const send = async (request: RequestContext): Promise<ResponseContext> => {
      // Inside a reconcile: one span for the request, the rate limit's wait and 429 retries included.
      if (!inTrace()) return sendWithRetries(request);
      const method = request.getHttpMethod();
      return inSpan(
        `kube ${method} ${resourceOf(request.getUrl())}`,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'url.full': request.getUrl() } },
        async (span) => {
          const response = await sendWithRetries(request);
          span?.setAttribute('http.response.status_code', response.httpStatusCode);
          return response;
        },
      );
    };
    const sendWithRetries = async (request: RequestContext): Promise<ResponseContext> => {
      for (let attempt = 0; ; attempt++) {
        await bucket.take();
        const response = await inner.send(request).toPromise();
        options.onResponse?.(request.getHttpMethod(), request.getUrl(), response.httpStatusCode);
        if (response.httpStatusCode !== 429 || attempt >= retries) return response;
        await response.body.text().catch(() => undefined);
        await sleep(retryDelayMs(response.headers['retry-after'], attempt));
      }
    };
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    // client-node gives every request a new connection pool, so every request paid a TLS
    // handshake on both ends and left its pool behind (at 10,000 Topics: most of the operator's
    // memory and much of the API server's CPU). The kubeconfig still sets each request's
    // credentials (a rotated token is read again); the first pool it made carries them all.
    let dispatcher: ReturnType<RequestContext['getDispatcher']>;
    const auth: SecurityAuthentication = {
      getName: () => 'kubeconfig, one connection pool',
      async applySecurityAuthentication(context: RequestContext) {
        await kc.applySecurityAuthentication(context);
        dispatcher ??= context.getDispatcher();
        if (dispatcher) context.setDispatcher(dispatcher);
      },
    };
    this.config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: auth },
      httpApi: wrapHttpLibrary({ send }),
    });
  }

  /** Like KubeConfig.makeApiClient, through the shared limit. */
  make<T>(api: new (configuration: Configuration) => T): T {
    return new api(this.config);
  }
}
