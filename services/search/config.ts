import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { elasticsearchTimeoutMs } from './elasticsearch.ts';
import { indexName } from './index-definition.ts';

const common = {
  ELASTICSEARCH_URL: env.elasticsearchUrl,
  ELASTICSEARCH_USERNAME: env.elasticsearchUsername,
  ELASTICSEARCH_PASSWORD: env.elasticsearchPassword,
  /** PEM of the CA that signed Elasticsearch's HTTPS certificate; unset for plain HTTP. */
  ELASTICSEARCH_CA: z.string().includes('BEGIN CERTIFICATE', { message: 'a PEM certificate' }).optional(),
  PORT: env.port,
  LOG_LEVEL: env.logLevel,
};

export const indexerConfig = z.object({
  ...common,
  ...kafkaEnv,
  KAFKA_GROUP_ID: z.string().min(1).default('search-indexer'),
  KAFKA_TOPIC: z.string().min(1).default('catalog.events'),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** Records (catalog changes) per second per process, as every consumer's; 0 means no cap. */
  MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
  /** The physical index to write; a reindex runs a second indexer against the next version. */
  ELASTICSEARCH_INDEX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a lowercase Elasticsearch index name')
    .default(indexName),
});
export const apiConfig = z.object({ ...common, ELASTICSEARCH_TIMEOUT_MS: elasticsearchTimeoutMs });
