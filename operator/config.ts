import { z } from 'zod';
import { env, kafkaEnv, loadConfig as load } from '../lib/config.ts';

export const configSchema = z.object({
  ...kafkaEnv,
  /**
   * Namespaces whose resources it reconciles, each listed and watched on its own, so a Role per
   * namespace suffices (the chart's default: its own namespace). Empty: every namespace, through
   * cluster-wide list and watch, which needs a ClusterRole (the profile's operatorNamespaces: 'all').
   */
  WATCH_NAMESPACES: env.list,
  POD_NAME: env.podName,
  LEASE_NAMESPACE: z.string().min(1).default('eventide'),
  LEASE_NAME: z.string().min(1).default('eventide-operator-leader'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).max(300).default(15),
  PORT: env.port,
  /**
   * Workers per controller: different keys reconcile in parallel, one key never twice at once.
   * Kafka calls of concurrent reconciles travel in one batch, so enough workers fill a batch.
   */
  TOPIC_WORKERS: z.coerce.number().int().min(1).max(1000).default(100),
  CONSUMER_GROUP_WORKERS: z.coerce.number().int().min(1).max(1000).default(50),
  /** How long a Kafka admin call waits for others to share its request, and the most per request. */
  KAFKA_BATCH_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(10),
  KAFKA_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  /** Client-side rate limit to the API server (client-go's QPS and Burst); 429s are retried after Retry-After. */
  KUBE_API_QPS: z.coerce.number().positive().max(10_000).default(200),
  KUBE_API_BURST: z.coerce.number().int().min(1).max(20_000).default(400),
  RESYNC_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  LOG_LEVEL: env.logLevel,
});

export const program = 'eventide-operator';
export type Config = z.infer<typeof configSchema>;

/** Reads the operator's settings from the environment; every problem is named in one error. */
export function loadConfig(source: NodeJS.ProcessEnv): Config {
  return load(program, configSchema, source);
}
