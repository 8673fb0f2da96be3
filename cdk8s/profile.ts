import type { KafkaExternalAccess } from './kafka.ts';
import type { NetworkEndpoint } from './network-policies.ts';
import type { ImagePullPolicy } from './workload.ts';

/** What differs between a laptop's kind cluster and a production cluster; everything else is shared. */
export interface Profile {
  name: 'kind' | 'production';
  kafka: {
    brokers: number;
    controllers: number;
    replicationFactor: number;
    minInsyncReplicas: number;
    storage: string;
    /** A listener the host reaches through kind's port mappings (deploy/kind-cluster.yaml); none in production. */
    external?: KafkaExternalAccess;
    /** TLS and SCRAM-SHA-512 with a KafkaUser per workload and least ACLs. */
    authentication: boolean;
  };
  elasticsearch: { nodes: number; heap: string; memory: string; cpu: string; storage: string; security: boolean; mmap: boolean };
  postgres: { storage: string; memory: string };
  /** PodDisruptionBudgets and spreading pods over nodes: only where there is more than one node. */
  highAvailability: boolean;
  /** A Kafka web UI, for a person watching the platform on a laptop. */
  kafkaUi: boolean;
  /**
   * Every workload's spans, this share of new traces kept: to `endpoint` (an OTLP/HTTP collector the
   * cluster has), or without one to a Jaeger the chart adds. None: tracing off (production today).
   */
  tracing?: { sampleRatio: number; endpoint?: string };
  /** Secrets the chart refers to but does not contain: created by whoever runs the cluster. */
  externalSecrets: string[];
  /**
   * Where the operator reconciles Topics and ConsumerGroups: these namespaces, each with a Role and
   * RoleBinding of its own (WATCH_NAMESPACES), or `'all'` — a ClusterRole that may scale every
   * Deployment and StatefulSet in the cluster, only for a profile that asks for it.
   */
  operatorNamespaces: string[] | 'all';
  /** What the namespace's NetworkPolicies let out and in besides the platform's own flows. */
  network: {
    /**
     * The API server, for the operator and Strimzi's pods: an ipBlock and the ports. The
     * `kubernetes` Service's 443 is DNATed to the API server's own port (6443 on kind and kubeadm)
     * before most CNIs apply policies, so both are listed; narrow the CIDR to the control plane's
     * addresses where they are known.
     */
    apiServer: { cidr: string; ports: number[] };
    /** The cluster DNS every pod resolves Services with (UDP and TCP 53). */
    dns: NetworkEndpoint;
    /** Who may scrape /metrics on ports that serve nothing else (the operator, the search-indexer). */
    metricsScrapers: NetworkEndpoint;
  };
  /** The schools (tenants) onboarding knows: teachers refuses others, identity dead-letters their events. */
  tenants: string[];
  /** Deploy the registry's worked examples (services/category-counts) beside the platform's own services. */
  examples: boolean;
  /**
   * For Eventide's own images. Never on kind: `make images` loads them into the node, and a missing
   * one fails as ErrImageNeverPull instead of pulling a docker.io/eventide/* image someone else may own.
   */
  eventideImagePullPolicy: ImagePullPolicy;
}

/** kube-system's CoreDNS (or kube-dns): the label both carry. */
const clusterDns: NetworkEndpoint = {
  namespace: { 'kubernetes.io/metadata.name': 'kube-system' },
  pods: { 'k8s-app': 'kube-dns' },
};

/** Any pod of a namespace labelled eventide.dev/metrics-scraper=true (e.g. `kubectl label namespace monitoring …`). */
const labelledScrapers: NetworkEndpoint = { namespace: { 'eventide.dev/metrics-scraper': 'true' } };

/** Anywhere, on the API server's ports: a cluster whose control plane's addresses are known narrows it. */
const anyApiServer = { cidr: '0.0.0.0/0', ports: [443, 6443] };

export const kind: Profile = {
  name: 'kind',
  kafka: {
    brokers: 1,
    controllers: 0,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    storage: '2Gi',
    external: { bootstrap: { nodePort: 30092, hostPort: 9092 }, brokers: [{ nodePort: 30093, hostPort: 9093 }] },
    authentication: false,
  },
  elasticsearch: { nodes: 1, heap: '512m', memory: '1Gi', cpu: '500m', storage: '2Gi', security: false, mmap: false },
  postgres: { storage: '1Gi', memory: '256Mi' },
  highAvailability: false,
  kafkaUi: true,
  tracing: { sampleRatio: 1 },
  externalSecrets: [],
  operatorNamespaces: ['eventide'],
  network: { apiServer: anyApiServer, dns: clusterDns, metricsScrapers: labelledScrapers },
  tenants: ['school-a', 'school-b'],
  examples: true,
  eventideImagePullPolicy: 'Never',
};

export const production: Profile = {
  name: 'production',
  kafka: { brokers: 3, controllers: 3, replicationFactor: 3, minInsyncReplicas: 2, storage: '100Gi', authentication: true },
  // mmap needs vm.max_map_count ≥ 262144 on every node (docs/chart-and-kind.md, the production profile).
  elasticsearch: { nodes: 3, heap: '2g', memory: '4Gi', cpu: '2', storage: '100Gi', security: true, mmap: true },
  postgres: { storage: '20Gi', memory: '1Gi' },
  highAvailability: true,
  kafkaUi: false,
  externalSecrets: [
    'postgres-credentials',
    'postgres-catalog-credentials',
    'postgres-teachers-credentials',
    'postgres-identity-credentials',
    'postgres-payments-credentials',
    'postgres-ledger-credentials',
    'identity-bootstrap-admin',
    // No development provider client: a platform administrator creates it through identity's API.
    'identity-payment-provider',
    // The activation deliverer's public JWK (key publicJwk): identity encrypts activation tokens to it.
    'activation-deliverer-key',
    // The elastic superuser's password: read by Elasticsearch and the users Job only.
    'elasticsearch-credentials',
    'elasticsearch-search-indexer-credentials',
    'elasticsearch-search-api-credentials',
    'elasticsearch-certs',
  ],
  operatorNamespaces: ['eventide'],
  network: { apiServer: anyApiServer, dns: clusterDns, metricsScrapers: labelledScrapers },
  tenants: ['school-a', 'school-b'],
  examples: false,
  eventideImagePullPolicy: 'IfNotPresent',
};

export const profiles = { kind, production } as const;
