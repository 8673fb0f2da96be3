import { z } from 'zod';
import { env, kafkaEnv, loadConfig as load } from '../lib/config.ts';

export const configSchema = z.object({
  ...kafkaEnv,
  WATCH_NAMESPACES: env.list,
  POD_NAME: env.podName,
  LEASE_NAMESPACE: z.string().min(1).default('eventide'),
  LEASE_NAME: z.string().min(1).default('eventide-operator-leader'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).max(300).default(15),
  PORT: env.port,
  /** Workers per controller: different keys reconcile in parallel, one key never twice at once. */
  TOPIC_WORKERS: z.coerce.number().int().min(1).max(256).default(8),
  CONSUMER_GROUP_WORKERS: z.coerce.number().int().min(1).max(256).default(4),
  RESYNC_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  LOG_LEVEL: env.logLevel,
});

export const program = 'eventide-operator';
export type Config = z.infer<typeof configSchema>;

/** Reads the operator's settings from the environment; every problem is named in one error. */
export function loadConfig(source: NodeJS.ProcessEnv): Config {
  return load(program, configSchema, source);
}
