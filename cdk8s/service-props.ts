/**
 * A registered service's workload as the construct the chart declares: what its manifest needs
 * (a database, Elasticsearch, token verification) becomes the variables and credentials the
 * platform's servers give it, and the profile decides replicas, spreading and tracing.
 */
import type { EnvValue, PlatformFacts, ServiceManifest, WorkloadManifest } from '../lib/service-manifest.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { ElasticsearchUsers } from './elasticsearch-users.ts';
import type { EventDrivenServiceProps, KafkaAccess } from './event-driven-service.ts';
import { imageRef } from './images.ts';
import { Postgres } from './postgres.ts';
import type { Profile } from './profile.ts';
import type { TracingExport } from './workload.ts';

/** Where every service fetches identity's key set from. */
export const identityJwksUrl = 'http://identity:8080/.well-known/jwks.json';

export interface ServiceContext {
  profile: Profile;
  kafka: KafkaAccess;
  tracing?: TracingExport;
  platform: PlatformFacts;
}

/** A service's own database on the platform's PostgreSQL, with its own credentials. */
export function ownDatabase(database: string): Record<string, EnvValue> {
  return {
    PGHOST: Postgres.serviceName,
    PGPORT: String(Postgres.port),
    PGDATABASE: database,
    PGUSER: { secret: Postgres.credentialsSecretOf(database), key: 'username' },
    PGPASSWORD: { secret: Postgres.credentialsSecretOf(database), key: 'password' },
  };
}

/** The platform's Elasticsearch, as the workload's own user where the profile has security on. */
export function ownElasticsearchUser(workload: string, profile: Profile): Record<string, EnvValue> {
  const { security } = profile.elasticsearch;
  return {
    ELASTICSEARCH_URL: `${security ? 'https' : 'http'}://${Elasticsearch.serviceName}:${Elasticsearch.port}`,
    ...(security
      ? {
          ELASTICSEARCH_USERNAME: { secret: ElasticsearchUsers.credentialsSecretOf(workload), key: 'username' },
          ELASTICSEARCH_PASSWORD: { secret: ElasticsearchUsers.credentialsSecretOf(workload), key: 'password' },
          ELASTICSEARCH_CA: { secret: Elasticsearch.certificatesSecret, key: 'ca.crt' },
        }
      : {}),
  };
}

export function serviceProps(service: ServiceManifest, workload: WorkloadManifest, context: ServiceContext): EventDrivenServiceProps {
  const { profile, kafka, tracing, platform } = context;
  const ha = profile.highAvailability;
  const kafkaNeeded = workload.produces !== undefined || workload.consumes !== undefined;
  return {
    name: workload.name,
    image: imageRef(service.name, profile.images),
    imagePullPolicy: profile.eventideImagePullPolicy,
    command: ['node', workload.bundle],
    tracing,
    spread: ha,
    http: workload.http ?? false,
    // A consumer's replicas are the operator's; every other workload runs two where there are nodes for two.
    ...(workload.consumes ? {} : { replicas: ha ? 2 : 1, minAvailable: ha ? 1 : undefined }),
    env: {
      ...(workload.database ? ownDatabase(workload.database) : {}),
      ...(workload.elasticsearch ? ownElasticsearchUser(workload.name, profile) : {}),
      ...(workload.verifiesTokens ? { IDENTITY_JWKS_URL: identityJwksUrl } : {}),
      ...workload.env?.(platform),
    },
    kafka: kafkaNeeded ? kafka : undefined,
    resources: workload.resources,
    produces: workload.produces,
    consumes: workload.consumes,
  };
}
