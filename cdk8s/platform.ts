import { App, Chart, YamlOutputType } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { deadLetterTopic } from '../lib/consumer/dead-letter.ts';
import type { ServiceManifest, WorkloadManifest } from '../lib/service-manifest.ts';
import { operatorManifest } from '../operator/manifest.ts';
import { consoleManifest } from '../services/console/manifest.ts';
import { serviceRegistry } from '../services/registry.ts';
import { versions } from '../shared/versions.ts';
import { Console } from './console.ts';
import { EventideCrds } from './crds.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { ElasticsearchUsers } from './elasticsearch-users.ts';
import { EventDrivenService } from './event-driven-service.ts';
import { ExternalKafkaClient } from './external-kafka-client.ts';
import { IdentityBootstrapAdmin } from './identity-bootstrap-admin.ts';
import { IdentityProviderClient } from './identity-provider-client.ts';
import { imageRef } from './images.ts';
import { Jaeger } from './jaeger.ts';
import { StrimziKafka } from './kafka.ts';
import { KafkaUi } from './kafka-ui.ts';
import { type NetworkFlow, NetworkPolicies } from './network-policies.ts';
import { EventideOperator } from './operator.ts';
import { Postgres } from './postgres.ts';
import type { Profile } from './profile.ts';
import { serviceProps } from './service-props.ts';
import type { TracingExport } from './workload.ts';

/**
 * Reads identity.events and sends each activation token to its teacher. Not part of this
 * repository: the chart gives it a KafkaUser (Read on identity.events and its group) and a place
 * among Kafka's clients, so that a token can be delivered at all in production.
 */
export const activationDeliverer = 'activation-deliverer';

/**
 * The whole platform for one profile, as three files applied in order: the CRDs, then the
 * workloads, then the platform's own Topic and ConsumerGroup resources (they need the CRDs
 * established first). Each workload of each registered service (services/registry.ts; examples
 * only where the profile asks for them) is one EventDrivenService: its workload lands in
 * 10-platform, its Topics and ConsumerGroup in 20-platform-resources.
 */
export function platformApp(profile: Profile, outdir: string, services: readonly ServiceManifest[] = serviceRegistry): App {
  const { namespace } = profile;
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
  const deployed = services.filter((s) => profile.examples || !s.example);
  const workloads = deployed.flatMap((service) => service.workloads.map((workload) => ({ service, workload })));
  new Postgres(chart, 'postgres', {
    storage: profile.postgres.storage,
    memory: profile.postgres.memory,
    developmentPassword: development(Postgres.credentialsSecret) ? 'eventide-dev' : undefined,
    // Every service its own database and role; the superuser's credentials are the server's alone.
    databases: workloads.flatMap(({ workload }) => (workload.database ? [workload.database] : [])),
  });
  // With security on, each Elasticsearch workload is its own user with its own role; the elastic
  // superuser is left to Elasticsearch and the Job that writes these users.
  const esUsers = profile.elasticsearch.security
    ? new ElasticsearchUsers(chart, 'elasticsearch-users', {
        grants: workloads.flatMap(({ workload }) =>
          workload.elasticsearch ? [{ workload: workload.name, ...workload.elasticsearch }] : [],
        ),
      })
    : undefined;
  // Every workload's spans, where the profile has a Jaeger of its own.
  let tracing: TracingExport | undefined;
  if (profile.tracing) {
    if (!profile.tracing.endpoint) new Jaeger(chart, 'jaeger', { image: `jaegertracing/jaeger:${versions.jaeger}` });
    tracing = { endpoint: profile.tracing.endpoint ?? Jaeger.otlpEndpoint, sampleRatio: profile.tracing.sampleRatio };
  }
  if (development(IdentityBootstrapAdmin.secretName)) new IdentityBootstrapAdmin(chart, 'identity-bootstrap-admin');
  if (development(IdentityProviderClient.secretName)) new IdentityProviderClient(chart, 'identity-payment-provider');
  const platform = { tenants: profile.tenants, development };
  const deployments = workloads.map(({ service, workload }) => ({
    workload,
    construct: new EventDrivenService(chart, workload.name, serviceProps(service, workload, { profile, kafka, tracing, platform })),
  }));
  const named = (need: (w: WorkloadManifest) => unknown) => deployments.filter((d) => need(d.workload)).map((d) => d.construct.name);
  const identity = deployments.find((d) => d.workload.name === 'identity')?.construct;
  if (!identity) throw new Error('the platform needs identity: every service verifies its callers with its key set');
  const operator = new EventideOperator(chart, 'operator', {
    image: imageRef(operatorManifest.name, profile.images),
    imagePullPolicy: profile.eventideImagePullPolicy,
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
  const consumers = workloads.flatMap(({ workload }) => (workload.consumes ? [{ ...workload, consumes: workload.consumes }] : []));
  const consumedTopics = [...new Set(consumers.flatMap((w) => w.consumes.topics))];
  const chartJaeger = tracing !== undefined && new URL(tracing.endpoint).hostname === Jaeger.serviceName;
  const platformConsole = profile.console
    ? new Console(chart, 'console', {
        image: imageRef(consoleManifest.name, profile.images),
        imagePullPolicy: profile.eventideImagePullPolicy,
        kafka: cluster,
        identity: { name: identity.name, port: identity.workload.port },
        tracing,
        jaegerQueryUrl: chartJaeger ? `http://${Jaeger.serviceName}:${Jaeger.ports.query}` : undefined,
        // The topics the platform's own consumers read, and not identity.events: activation
        // requests are for the deliverer alone.
        eventTopics: consumedTopics,
        deadLetters: { topics: consumers.map((w) => deadLetterTopic(w.consumes.group ?? w.name)), targets: consumedTopics },
      })
    : undefined;
  const consoleNames = platformConsole ? [platformConsole.name] : [];

  // Nothing moves in or out of the namespace but these flows (and the HTTP services' own
  // `<name>-clients`, declared with each service); test/chart/network-flows.test.ts derives the
  // flows from the workloads' settings and fails on one no policy pair allows.
  const constructs = deployments.map((d) => d.construct);
  const workloadNames = [...constructs.map((s) => s.name), operator.name, ...consoleNames];
  const metricsOnly = constructs.filter((s) => !s.http);
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
      from: { workloads: [operator.name, ...consoleNames] },
      to: { cidr: profile.network.apiServer.cidr },
      ports: profile.network.apiServer.ports.map((port) => ({ port })),
      why: `the operator watches its resources, scales consumers and holds its Lease${platformConsole ? '; the console watches the same resources' : ''}`,
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
      from: { workloads: named((w) => w.database) },
      to: { workloads: [Postgres.serviceName] },
      ports: [{ port: Postgres.port }],
      why: 'each service reaches its own database (its role may connect to no other)',
    },
    {
      name: 'elasticsearch-clients',
      from: { workloads: [...named((w) => w.elasticsearch), ...(esUsers ? [ElasticsearchUsers.jobName] : [])] },
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
      from: { workloads: [...named((w) => w.verifiesTokens), ...consoleNames] },
      to: { workloads: [identity.name] },
      ports: [{ port: identity.workload.port }],
      why: `every service verifies its callers' tokens with identity's key set (/.well-known/jwks.json)${platformConsole ? '; the console also logs administrators in there' : ''}`,
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
      from: { workloads: workloadNames },
      // The chart's own Jaeger, or a collector somewhere else whose address the chart does not know.
      to: collector.hostname === Jaeger.serviceName ? { workloads: [Jaeger.serviceName] } : 'anywhere',
      ports: [{ port }],
      why: 'every workload sends its spans over OTLP/HTTP',
    });
  }
  if (platformConsole && chartJaeger)
    flows.push({
      name: 'jaeger-query',
      from: { workloads: [platformConsole.name] },
      to: { workloads: [Jaeger.serviceName] },
      ports: [{ port: Jaeger.ports.query }],
      why: "the console draws a dead letter's trace from Jaeger's query API",
    });
  new NetworkPolicies(chart, 'network-policies', { defaultDeny: true, flows });
  return app;
}
