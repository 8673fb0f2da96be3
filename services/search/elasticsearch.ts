import { Client } from '@elastic/elasticsearch';
import { z } from 'zod';

/**
 * ELASTICSEARCH_TIMEOUT_MS: the longest a search request waits for Elasticsearch, then 503 with
 * Retry-After (a paused node held requests as long as it was paused). Default 3000.
 */
export const elasticsearchTimeoutMs = z.coerce
  .number({ error: 'ELASTICSEARCH_TIMEOUT_MS must be a number of milliseconds' })
  .int('ELASTICSEARCH_TIMEOUT_MS must be a whole number of milliseconds')
  .min(100, 'ELASTICSEARCH_TIMEOUT_MS must be at least 100 ms')
  .max(120_000, 'ELASTICSEARCH_TIMEOUT_MS must be at most 120000 ms')
  .default(3_000);

/** A client for the configured Elasticsearch, with credentials when the profile has security on. */
export function elasticsearchClient(
  config: { ELASTICSEARCH_URL: string; ELASTICSEARCH_USERNAME?: string; ELASTICSEARCH_PASSWORD?: string; ELASTICSEARCH_CA?: string },
  { requestTimeout, maxRetries }: { requestTimeout: number; maxRetries: number },
): Client {
  const auth = config.ELASTICSEARCH_USERNAME
    ? { username: config.ELASTICSEARCH_USERNAME, password: config.ELASTICSEARCH_PASSWORD ?? '' }
    : undefined;
  // With HTTPS, the server's certificate is checked against the CA the chart hands over (a PEM).
  const tls = config.ELASTICSEARCH_CA ? { tls: { ca: config.ELASTICSEARCH_CA } } : {};
  return new Client({ node: config.ELASTICSEARCH_URL, requestTimeout, maxRetries, ...(auth ? { auth } : {}), ...tls });
}
