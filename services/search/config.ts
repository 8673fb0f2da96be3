import { z } from 'zod';
import { indexName } from './index-definition.ts';

const brokers = z
  .string({ error: 'KAFKA_BROKERS is required: the Kafka bootstrap servers, host:port[,host:port]' })
  .transform((v) =>
    v
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .refine((list) => list.length > 0 && list.every((b) => /^[^:\s]+:\d+$/.test(b)), 'KAFKA_BROKERS must be host:port[,host:port]');
const common = {
  ELASTICSEARCH_URL: z.url({ error: 'ELASTICSEARCH_URL is required: e.g. http://elasticsearch:9200' }),
  ELASTICSEARCH_USERNAME: z.string().optional(),
  ELASTICSEARCH_PASSWORD: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export const indexerConfig = z.object({
  ...common,
  KAFKA_BROKERS: brokers,
  KAFKA_GROUP_ID: z.string().min(1).default('search-indexer'),
  KAFKA_TOPIC: z.string().min(1).default('catalog.events'),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** Documents per second per process; 0 means no cap. */
  MAX_DOCS_PER_SECOND: z.coerce.number().min(0).default(0),
  /** The physical index to write; a reindex runs a second indexer against the next version. */
  ELASTICSEARCH_INDEX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a lowercase Elasticsearch index name')
    .default(indexName),
});
export const apiConfig = z.object(common);

/** Validates the environment against one of the schemas, naming every problem in one error. */
export function load<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, program: string): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new Error(
    `${program}: invalid configuration\n${result.error.issues.map((i) => `  ${i.path.join('.') || 'environment'}: ${i.message}`).join('\n')}`,
  );
}
