import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { repoRoot, versions } from '../devkit/paths.ts';
import { alias as searchAlias } from '../services/search/index-definition.ts';
import { EventideCrds } from './crds.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { ElasticsearchUsers } from './elasticsearch-users.ts';
import { EventDrivenService } from './event-driven-service.ts';
import { ExternalKafkaClient } from './external-kafka-client.ts';
import { IdentityBootstrapAdmin } from './identity-bootstrap-admin.ts';
import { IdentityProviderClient } from './identity-provider-client.ts';
import { Jaeger } from './jaeger.ts';
import { StrimziKafka } from './kafka.ts';
import { KafkaUi } from './kafka-ui.ts';
import { namespace } from './labels.ts';
import { type NetworkFlow, NetworkPolicies } from './network-policies.ts';
import { EventideOperator } from './operator.ts';
import { Postgres } from './postgres.ts';
import type { Profile } from './profile.ts';
import type { EnvValue, TracingExport } from './workload.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const image = (name: string) => `eventide/${name}:${version}`;

/** The catalog's change topic: one topic keyed by event id, so each event's changes stay in order. */
export const changeTopic = 'catalog.events';

/**
 * Reads identity.events and sends each activation token to its teacher. Not part of this
 * repository: the chart gives it a KafkaUser (Read on identity.events and its group) and a place
 * among Kafka's clients, so that a token can be delivered at all in production.
 */
export const activationDeliverer = 'activation-deliverer';

/** The deliverer's public JWK, which identity encrypts activation tokens to (production). */
export const activationDelivererKey = { secret: 'activation-deliverer-key', key: 'publicJwk' };

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
    // Every service its own database and role; the superuser's credentials are the server's alone.
    databases: ['catalog', 'teachers', 'identity', 'payments', 'ledger'],
  });
  /** A service's own database on the platform's PostgreSQL, with its own credentials. */
  const ownDatabase = (database: string): Record<string, EnvValue> => ({
    PGHOST: Postgres.serviceName,
    PGPORT: String(Postgres.port),
    PGDATABASE: database,
    PGUSER: { secret: Postgres.credentialsSecretOf(database), key: 'username' },
    PGPASSWORD: { secret: Postgres.credentialsSecretOf(database), key: 'password' },
  });

  // With security on, each search workload is its own Elasticsearch user with its own role: the
  // indexer writes and manages events-* and the alias, the API only reads through the alias (and
  // needs `monitor` for the root endpoint its readiness pings). The elastic superuser is left to
  // Elasticsearch and the Job that writes these users.
  const searchGrants = {
    'search-indexer': { indices: [{ names: [`${searchAlias}-*`, searchAlias], privileges: ['create_index', 'write', 'manage'] }] },
    'search-api': { cluster: ['monitor'], indices: [{ names: [searchAlias], privileges: ['read'] }] },
  };
  const elasticsearch = (workload: keyof typeof searchGrants): Record<string, EnvValue> => ({
    ELASTICSEARCH_URL: `${profile.elasticsearch.security ? 'https' : 'http'}://${Elasticsearch.serviceName}:${Elasticsearch.port}`,
    ...(profile.elasticsearch.security
      ? {
          ELASTICSEARCH_USERNAME: { secret: ElasticsearchUsers.credentialsSecretOf(workload), key: 'username' },
          ELASTICSEARCH_PASSWORD: { secret: ElasticsearchUsers.credentialsSecretOf(workload), key: 'password' },
          ELASTICSEARCH_CA: { secret: Elasticsearch.certificatesSecret, key: 'ca.crt' },
        }
      : {}),
  });
  const esUsers = profile.elasticsearch.security
    ? new ElasticsearchUsers(chart, 'elasticsearch-users', {
        grants: Object.entries(searchGrants).map(([workload, grant]) => ({ workload, ...grant })),
      })
    : undefined;
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
    env: { ...ownDatabase('catalog'), ...jwks },
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
    env: elasticsearch('search-api'),
  });
  const indexer = new EventDrivenService(chart, 'search-indexer', {
    name: 'search-indexer',
    tracing,
    image: image('search'),
    command: ['node', 'search-indexer.js'],
    spread: profile.highAvailability,
    env: elasticsearch('search-indexer'),
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
      // scrypt's 64 MiB per hash lives outside V8's heap: a capped heap keeps one hash and the
      // process under the 256 MiB limit (services/identity/login-storm.int.test.ts measures it).
      NODE_OPTIONS: '--max-old-space-size=96',
      TENANTS: tenants,
      BOOTSTRAP_ADMIN_EMAIL: { secret: IdentityBootstrapAdmin.secretName, key: 'email' },
      BOOTSTRAP_ADMIN_PASSWORD: { secret: IdentityBootstrapAdmin.secretName, key: 'password' },
      ...(providerClient
        ? {
            BOOTSTRAP_PROVIDER_CLIENT_ID: { secret: IdentityProviderClient.secretName, key: 'clientId' },
            BOOTSTRAP_PROVIDER_CLIENT_SECRET: { secret: IdentityProviderClient.secretName, key: 'clientSecret' },
          }
        : {}),
      // Activation tokens travel encrypted to the deliverer's public key (a Secret whoever runs the
      // cluster creates with it); a development profile without that Secret publishes them in clear.
      ...(development(activationDelivererKey.secret)
        ? { ACTIVATION_TOKEN_IN_CLEAR: 'true' }
        : { ACTIVATION_DELIVERY_PUBLIC_JWK: activationDelivererKey }),
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
  const operator = new EventideOperator(chart, 'operator', {
    image: image('operator'),
    kafka: cluster,
    spread: profile.highAvailability,
    tracing,
    watchNamespaces: profile.operatorNamespaces,
  });
  // Activation tokens leave the platform through the deliverer: Read on identity.events and its group, nothing else.
  new ExternalKafkaClient(chart, activationDeliverer, {
    kafka: cluster,
    name: activationDeliverer,
    acl: { consume: { topics: ['identity.events'], group: activationDeliverer } },
  });
  if (profile.kafkaUi) new KafkaUi(chart, 'kafka-ui', { kafka: cluster });

  // Nothing moves in or out of the namespace but these flows (and the HTTP services' own
  // `<name>-clients`, declared with each service); test/chart/network-flows.test.ts derives the
  // flows from the workloads' settings and fails on one no policy pair allows.
  const services = [catalog, searchApi, indexer, teachers, identity, payments, ledger];
  const workloads = [...services.map((s) => s.name), operator.name];
  const metricsOnly = services.filter((s) => !s.http);
  const flows: NetworkFlow[] = [
    {
      name: 'dns',
      from: { pods: {} },
      to: profile.network.dns,
      ports: [{ port: 53, protocol: 'UDP' }, { port: 53 }],
      why: 'every pod resolves Service names through the cluster DNS',
    },
    {
      name: 'kube-apiserver',
      from: { workloads: [operator.name] },
      to: { cidr: profile.network.apiServer.cidr },
      ports: profile.network.apiServer.ports.map((port) => ({ port })),
      why: 'the operator watches its resources, scales consumers and holds its Lease',
    },
    {
      name: 'kafka-clients',
      from: { workloads: () => cluster.clientWorkloads() },
      to: { pods: cluster.brokerPods.labels },
      ports: [{ port: cluster.brokerPods.port }],
      why: "Kafka's clients reach the brokers' listener (Strimzi writes the brokers' ingress from the listener's networkPolicyPeers)",
      ingress: false,
    },
    {
      name: 'kafka-cluster',
      from: { pods: StrimziKafka.podLabels },
      to: { pods: StrimziKafka.podLabels },
      ports: [],
      why: "Kafka's brokers, controllers and user operator talk among themselves (Strimzi writes their ingress)",
      ingress: false,
    },
    {
      name: 'kafka-cluster-apiserver',
      from: { pods: StrimziKafka.podLabels },
      to: { cidr: profile.network.apiServer.cidr },
      ports: profile.network.apiServer.ports.map((port) => ({ port })),
      why: "Strimzi's user operator writes the KafkaUsers' Secrets; a broker's init container reads its node's address",
    },
    {
      name: 'postgres-clients',
      from: { workloads: [catalog.name, teachers.name, identity.name, payments.name, ledger.name] },
      to: { workloads: [Postgres.serviceName] },
      ports: [{ port: Postgres.port }],
      why: 'each service reaches its own database (its role may connect to no other)',
    },
    {
      name: 'elasticsearch-clients',
      from: { workloads: [searchApi.name, indexer.name, ...(esUsers ? [ElasticsearchUsers.jobName] : [])] },
      to: { workloads: [Elasticsearch.serviceName] },
      ports: [{ port: Elasticsearch.port }],
      why: 'the indexer writes the search index, the search API reads it, the users Job writes their roles',
    },
    ...(profile.elasticsearch.nodes > 1
      ? [
          {
            name: 'elasticsearch-transport',
            from: { workloads: [Elasticsearch.serviceName] },
            to: { workloads: [Elasticsearch.serviceName] },
            ports: [{ port: Elasticsearch.transportPort }],
            why: "Elasticsearch's nodes form one cluster",
          },
        ]
      : []),
    {
      name: 'identity-jwks',
      from: { workloads: [catalog.name, teachers.name, payments.name, ledger.name] },
      to: { workloads: [identity.name] },
      ports: [{ port: identity.workload.port }],
      why: "every service verifies its callers' tokens with identity's key set (/.well-known/jwks.json)",
    },
    {
      name: 'metrics',
      from: profile.network.metricsScrapers,
      to: { workloads: [...metricsOnly.map((s) => s.name), operator.name] },
      ports: [...new Set([...metricsOnly.map((s) => s.workload.port), operator.port])].map((port) => ({ port })),
      why: 'Prometheus scrapes /metrics on ports that serve nothing else (an API port is open to every caller, /metrics with it)',
    },
  ];
  if (tracing) {
    const collector = new URL(tracing.endpoint);
    const port = Number(collector.port || (collector.protocol === 'https:' ? 443 : 80));
    flows.push({
      name: 'otlp',
      from: { workloads },
      // The chart's own Jaeger, or a collector somewhere else whose address the chart does not know.
      to: collector.hostname === Jaeger.serviceName ? { workloads: [Jaeger.serviceName] } : 'anywhere',
      ports: [{ port }],
      why: 'every workload sends its spans over OTLP/HTTP',
    });
  }
  new NetworkPolicies(chart, 'network-policies', { defaultDeny: true, flows });
  return app;
}
