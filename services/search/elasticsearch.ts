import { Client } from '@elastic/elasticsearch';

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
