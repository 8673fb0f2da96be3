import { z } from 'zod';
import { env, kafkaEnv } from '../../lib/config.ts';
import { postgresEnv, requirePostgres } from '../../lib/pg.ts';
import { changeTopic } from '../catalog/events.ts';

export const categoryCountsConfig = z
  .object({
    ...kafkaEnv,
    ...postgresEnv,
    PORT: env.port,
    LOG_LEVEL: env.logLevel,
    KAFKA_GROUP_ID: z.string().min(1).default('category-counts'),
    KAFKA_TOPIC: z.string().min(1).default(changeTopic),
    MAX_RECORDS_PER_SECOND: z.coerce.number().min(0).default(0),
  })
  .superRefine(requirePostgres);
