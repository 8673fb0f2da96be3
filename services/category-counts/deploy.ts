import type { Construct } from 'constructs';
import { EventDrivenService, type KafkaAccess } from '../../cdk8s/event-driven-service.ts';
import { Postgres } from '../../cdk8s/postgres.ts';
import { changeTopic } from '../catalog/events.ts';

/** The example's one construct call: its Deployment, Service, ConsumerGroup (scaled by lag) and DLQ Topic. */
export const categoryCounts = (scope: Construct, kafka: KafkaAccess, image: string) =>
  new EventDrivenService(scope, 'category-counts', {
    name: 'category-counts',
    image,
    command: ['node', 'category-counts.js'],
    http: true,
    kafka,
    consumes: { topics: [changeTopic] },
    env: {
      PGHOST: Postgres.serviceName,
      PGDATABASE: 'category_counts',
      PGUSER: { secret: Postgres.credentialsSecret, key: 'username' },
      PGPASSWORD: { secret: Postgres.credentialsSecret, key: 'password' },
    },
  });
