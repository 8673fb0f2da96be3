import { hostname } from 'node:os';
import { z } from 'zod';

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

const schema = z.object({
  KAFKA_BROKERS: z
    .string({ error: 'KAFKA_BROKERS is required: the Kafka bootstrap servers, host:port[,host:port]' })
    .transform(list)
    .refine(
      (brokers) => brokers.length > 0 && brokers.every((b) => /^[^:\s]+:\d+$/.test(b)),
      'KAFKA_BROKERS must be host:port[,host:port]',
    ),
  WATCH_NAMESPACES: z.string().optional().transform(list),
  POD_NAME: z.string().min(1).default(hostname()),
  LEASE_NAMESPACE: z.string().min(1).default('eventide'),
  LEASE_NAME: z.string().min(1).default('eventide-operator-leader'),
  LEASE_DURATION_SECONDS: z.coerce.number().int().min(2).max(300).default(15),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  RESYNC_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof schema>;

/** Reads the operator's settings from the environment; every problem is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || 'environment'}: ${issue.message}`);
  throw new Error(`eventide-operator: invalid configuration\n${problems.join('\n')}`);
}
