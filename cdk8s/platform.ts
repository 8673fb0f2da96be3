import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { repoRoot, versions } from '../devkit/paths.ts';
import { EventideCrds } from './crds.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { EventDrivenService } from './event-driven-service.ts';
import { IdentityBootstrapAdmin } from './identity-bootstrap-admin.ts';
import { IdentityProviderClient } from './identity-provider-client.ts';
import { Jaeger } from './jaeger.ts';
import { StrimziKafka } from './kafka.ts';
import { KafkaUi } from './kafka-ui.ts';
import { namespace } from './labels.ts';
import { NetworkPolicies } from './network-policies.ts';
import { EventideOperator } from './operator.ts';
import { Postgres } from './postgres.ts';
import type { Profile } from './profile.ts';
import type { EnvValue, TracingExport } from './workload.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const image = (name: string) => `eventide/${name}:${version}`;

/** The catalog's change topic: one topic keyed by event id, so each event's changes stay in order. */
export const changeTopic = 'catalog.events';

/**
 * The whole platform for one profile, as three files applied in order: the CRDs, then the
 * workloads, then the platform's own Topic and ConsumerGroup resources (they need the CRDs
 * established first). Each service is one EventDrivenService: its workload lands in
 * 10-platform, its Topics and ConsumerGroup in 20-platform-resources.
 */
export function platformApp(profile: Profile, outdir: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.yaml' });

  new EventideCrds(new Chart(app, '00-crds'), 'crds');

  const chart = new Chart(app, '10-platform', { namespace });
  // Every pod here meets the restricted Pod Security Standard: Eventide's and the StatefulSets' by
  // their security contexts, Strimzi's through its restricted provider (make kind-up sets it).
  const podSecurity = Object.fromEntries(['enforce', 'audit', 'warn'].map((mode) => [`pod-security.kubernetes.io/${mode}`, 'restricted']));
  new k8s.KubeNamespace(chart, 'namespace', {
    metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'eventide', ...podSecurity } },
  });

  // Topics and ConsumerGroups need the CRDs established: their own chart, applied after this one.
  const kafkaResources = new Chart(app, '20-platform-resources', { namespace });
  const cluster = new StrimziKafka(chart, 'kafka', {
    brokers: profile.kafka.brokers,
    controllers: profile.kafka.controllers,
    replicationFactor: profile.kafka.replicationFactor,
    minInsyncReplicas: profile.kafka.minInsyncReplicas,
    storage: profile.kafka.storage,
    highAvailability: profile.highAvailability,
    external: profile.kafka.external,
    authentication: profile.kafka.authentication,
  });
  const kafka = { cluster, resources: kafkaResources };
  new Elasticsearch(chart, 'elasticsearch', { ...profile.elasticsearch, highAvailability: profile.highAvailability });
  const development = (secret: string) => !profile.externalSecrets.includes(secret);
  new Postgres(chart, 'postgres', {
    storage: profile.postgres.storage,
    memory: profile.postgres.memory,
    developmentPassword: development(Postgres.credentialsSecret) ? 'eventide-dev' : undefined,
    databases: ['teachers', 'identity', 'payments', 'ledger'],
  });
  /** A service's own database on the platform's PostgreSQL, with its own credentials. */
  const ownDatabase = (database: string): Record<string, EnvValue> => ({
    PGHOST: Postgres.serviceName,
    PGPORT: String(Postgres.port),
    PGDATABASE: database,
    PGUSER: { secret: Postgres.credentialsSecretOf(database), key: 'username' },
    PGPASSWORD: { secret: Postgres.credentialsSecretOf(database), key: 'password' },
  });

  const elasticsearch: Record<string, EnvValue> = {
    ELASTICSEARCH_URL: `${profile.elasticsearch.security ? 'https' : 'http'}://${Elasticsearch.serviceName}:${Elasticsearch.port}`,
    ...(profile.elasticsearch.security
      ? {
          ELASTICSEARCH_USERNAME: { secret: Elasticsearch.credentialsSecret, key: 'username' },
          ELASTICSEARCH_PASSWORD: { secret: Elasticsearch.credentialsSecret, key: 'password' },
          ELASTICSEARCH_CA: { secret: Elasticsearch.certificatesSecret, key: 'ca.crt' },
        }
      : {}),
  };
  // Every workload's spans, where the profile has a Jaeger of its own.
  let tracing: TracingExport | undefined;
  if (profile.tracing) {
    if (!profile.tracing.endpoint) new Jaeger(chart, 'jaeger', { image: `jaegertracing/jaeger:${versions.jaeger}` });
    tracing = { endpoint: profile.tracing.endpoint ?? Jaeger.otlpEndpoint, sampleRatio: profile.tracing.sampleRatio };
  }
  // Every service verifies its callers' tokens with identity's key set (identity itself, with its own keys).
  const jwks = { IDENTITY_JWKS_URL: 'http://identity:8080/.well-known/jwks.json' };
  const api = {
    tracing,
    replicas: profile.highAvailability ? 2 : 1,
    minAvailable: profile.highAvailability ? 1 : undefined,
    spread: profile.highAvailability,
    http: true,
  };
  const catalog = new EventDrivenService(chart, 'catalog', {
    ...api,
    name: 'catalog',
    image: image('catalog'),
    command: ['node', 'catalog.js'],
    env: {
      PGHOST: Postgres.serviceName,
      PGPORT: String(Postgres.port),
      PGDATABASE: Postgres.database,
      PGUSER: { secret: Postgres.credentialsSecret, key: 'username' },
      PGPASSWORD: { secret: Postgres.credentialsSecret, key: 'password' },
      ...jwks,
    },
    kafka,
    produces: [
      {
        topicName: changeTopic,
        partitions: 6,
        config: { 'retention.ms': String(7 * 24 * 60 * 60 * 1000), 'cleanup.policy': 'delete' },
      },
    ],
  });
  const searchApi = new EventDrivenService(chart, 'search-api', {
    ...api,
    name: 'search-api',
    image: image('search'),
    command: ['node', 'search-api.js'],
    env: elasticsearch,
  });
  const indexer = new EventDrivenService(chart, 'search-indexer', {
    name: 'search-indexer',
    tracing,
    image: image('search'),
    command: ['node', 'search-indexer.js'],
    spread: profile.highAvailability,
    env: elasticsearch,
    kafka,
    consumes: { topics: [changeTopic], maxReplicas: 6, lagThreshold: 1000, offsetResetPolicy: 'earliest' },
  });
  const tenants = profile.tenants.join(',');
  const teachers = new EventDrivenService(chart, 'teachers', {
    ...api,
    name: 'teachers',
    image: image('teachers'),
    command: ['node', 'teachers.js'],
    env: { ...ownDatabase('teachers'), TENANTS: tenants, ...jwks },
    kafka,
    produces: [{ topicName: 'teachers.events', partitions: 6, config: { 'retention.ms': String(7 * 24 * 60 * 60 * 1000) } }],
  });
  if (development(IdentityBootstrapAdmin.secretName)) new IdentityBootstrapAdmin(chart, 'identity-bootstrap-admin');
  const providerClient = development(IdentityProviderClient.secretName);
  if (providerClient) new IdentityProviderClient(chart, 'identity-payment-provider');
  const identity = new EventDrivenService(chart, 'identity', {
    name: 'identity',
    tracing,
    image: image('identity'),
    command: ['node', 'identity.js'],
    spread: profile.highAvailability,
    http: true,
    env: {
      ...ownDatabase('identity'),
      TENANTS: tenants,
      BOOTSTRAP_ADMIN_EMAIL: { secret: IdentityBootstrapAdmin.secretName, key: 'email' },
      BOOTSTRAP_ADMIN_PASSWORD: { secret: IdentityBootstrapAdmin.secretName, key: 'password' },
      ...(providerClient
        ? {
            BOOTSTRAP_PROVIDER_CLIENT_ID: { secret: IdentityProviderClient.secretName, key: 'clientId' },
            BOOTSTRAP_PROVIDER_CLIENT_SECRET: { secret: IdentityProviderClient.secretName, key: 'clientSecret' },
          }
        : {}),
    },
    kafka,
    produces: [
      // Activation requests carry one-time tokens: kept a day, long enough for the deliverer to catch up.
      { topicName: 'identity.events', partitions: 6, config: { 'retention.ms': String(24 * 60 * 60 * 1000) } },
    ],
    consumes: { topics: ['teachers.events'], maxReplicas: 6, lagThreshold: 200, offsetResetPolicy: 'earliest' },
  });
  // Money: both topics keyed by merchant id, so one merchant's movements stay in order.
  const moneyTopic = (topicName: string) => ({ topicName, partitions: 6, config: { 'retention.ms': String(30 * 24 * 60 * 60 * 1000) } });
  const payments = new EventDrivenService(chart, 'payments', {
    name: 'payments',
    tracing,
    image: image('payments'),
    command: ['node', 'payments.js'],
    spread: profile.highAvailability,
    http: true,
    env: { ...ownDatabase('payments'), ...jwks },
    kafka,
    produces: [moneyTopic('payments.events')],
    // Its consumer of the ledger's answers settles approved withdrawals.
    consumes: { topics: ['ledger.events'], maxReplicas: 6, lagThreshold: 500, offsetResetPolicy: 'earliest' },
  });
  const ledger = new EventDrivenService(chart, 'ledger', {
    name: 'ledger',
    tracing,
    image: image('ledger'),
    command: ['node', 'ledger.js'],
    spread: profile.highAvailability,
    http: true,
    env: { ...ownDatabase('ledger'), ...jwks },
    kafka,
    produces: [moneyTopic('ledger.events')],
    consumes: { topics: ['payments.events'], maxReplicas: 6, lagThreshold: 500, offsetResetPolicy: 'earliest' },
  });
  new EventideOperator(chart, 'operator', { image: image('operator'), kafka: cluster, spread: profile.highAvailability, tracing });
  if (profile.kafkaUi) new KafkaUi(chart, 'kafka-ui', { kafka: cluster });
  new NetworkPolicies(chart, 'network-policies', [
    {
      backend: Postgres.serviceName,
      port: Postgres.port,
      clients: [catalog.name, teachers.name, identity.name, payments.name, ledger.name],
    },
    { backend: Elasticsearch.serviceName, port: Elasticsearch.port, clients: [searchApi.name, indexer.name], peerPorts: [9300] },
  ]);
  return app;
}
