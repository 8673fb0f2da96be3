import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { repoRoot } from '../devkit/paths.ts';
import { EventideCrds } from './crds.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { HonoService, type SecretRef } from './hono-service.ts';
import { StrimziKafka } from './kafka.ts';
import { KafkaUi } from './kafka-ui.ts';
import { namespace } from './labels.ts';
import { NetworkPolicies } from './network-policies.ts';
import { EventideOperator } from './operator.ts';
import { PlatformResources } from './platform-resources.ts';
import { Postgres } from './postgres.ts';
import type { Profile } from './profile.ts';

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const image = (name: string) => `eventide/${name}:${version}`;

/**
 * The whole platform for one profile, as three files applied in order: the CRDs, then the
 * workloads, then the platform's own Topic and ConsumerGroup resources (they need the CRDs
 * established first).
 */
export function platformApp(profile: Profile, outdir: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART, outputFileExtension: '.yaml' });

  new EventideCrds(new Chart(app, '00-crds'), 'crds');

  const chart = new Chart(app, '10-platform', { namespace });
  new k8s.KubeNamespace(chart, 'namespace', { metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'eventide' } } });

  const kafkaClients = ['catalog', 'search-indexer', EventideOperator.serviceName, ...(profile.kafkaUi ? [KafkaUi.serviceName] : [])];
  new StrimziKafka(chart, 'kafka', {
    brokers: profile.kafka.brokers,
    controllers: profile.kafka.controllers,
    replicationFactor: profile.kafka.replicationFactor,
    minInsyncReplicas: profile.kafka.minInsyncReplicas,
    storage: profile.kafka.storage,
    clients: kafkaClients,
    highAvailability: profile.highAvailability,
  });
  new Elasticsearch(chart, 'elasticsearch', { ...profile.elasticsearch, highAvailability: profile.highAvailability });
  new Postgres(chart, 'postgres', {
    storage: profile.postgres.storage,
    memory: profile.postgres.memory,
    developmentPassword: profile.externalSecrets.includes(Postgres.credentialsSecret) ? undefined : 'eventide-dev',
  });

  const kafka = { KAFKA_BROKERS: StrimziKafka.bootstrap };
  const elasticsearch = { ELASTICSEARCH_URL: `http://${Elasticsearch.serviceName}:${Elasticsearch.port}` };
  const elasticCredentials: Record<string, SecretRef> = profile.elasticsearch.security
    ? {
        ELASTICSEARCH_USERNAME: { secret: Elasticsearch.credentialsSecret, key: 'username' },
        ELASTICSEARCH_PASSWORD: { secret: Elasticsearch.credentialsSecret, key: 'password' },
      }
    : {};
  const replicas = profile.highAvailability ? 2 : 1;
  new HonoService(chart, 'catalog', {
    name: 'catalog',
    component: 'api',
    image: image('catalog'),
    command: ['node', 'catalog.js'],
    replicas,
    spread: profile.highAvailability,
    config: { ...kafka, PGHOST: Postgres.serviceName, PGPORT: String(Postgres.port), PGDATABASE: Postgres.database },
    secretEnv: {
      PGUSER: { secret: Postgres.credentialsSecret, key: 'username' },
      PGPASSWORD: { secret: Postgres.credentialsSecret, key: 'password' },
    },
  });
  new HonoService(chart, 'search-api', {
    name: 'search-api',
    component: 'api',
    image: image('search'),
    command: ['node', 'search-api.js'],
    replicas,
    spread: profile.highAvailability,
    config: elasticsearch,
    secretEnv: elasticCredentials,
  });
  const indexer = new HonoService(chart, 'search-indexer', {
    name: PlatformResources.indexerGroup,
    component: 'consumer',
    image: image('search'),
    command: ['node', 'search-indexer.js'],
    spread: profile.highAvailability,
    config: { ...kafka, ...elasticsearch, KAFKA_GROUP_ID: PlatformResources.indexerGroup },
    secretEnv: elasticCredentials,
  });
  new EventideOperator(chart, 'operator', {
    image: image('operator'),
    kafkaBrokers: StrimziKafka.bootstrap,
    spread: profile.highAvailability,
  });
  if (profile.kafkaUi) new KafkaUi(chart, 'kafka-ui', { kafkaBrokers: StrimziKafka.bootstrap });
  if (profile.highAvailability) {
    for (const name of ['catalog', 'search-api']) {
      new k8s.KubePodDisruptionBudget(chart, `${name}-pdb`, {
        metadata: { name, namespace },
        spec: {
          minAvailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'eventide' } },
        },
      });
    }
  }
  new NetworkPolicies(chart, 'network-policies', [
    { backend: Postgres.serviceName, port: Postgres.port, clients: ['catalog'] },
    { backend: Elasticsearch.serviceName, port: Elasticsearch.port, clients: ['search-api', indexer.name], peerPorts: [9300] },
  ]);

  new PlatformResources(new Chart(app, '20-platform-resources', { namespace }), 'resources', {
    replicationFactor: profile.kafka.replicationFactor,
    minInsyncReplicas: profile.kafka.minInsyncReplicas,
    indexer: indexer.name,
  });
  return app;
}
