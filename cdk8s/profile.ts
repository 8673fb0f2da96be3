import type { KafkaExternalAccess } from './kafka.ts';

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
  /** The schools (tenants) onboarding knows: teachers refuses others, identity dead-letters their events. */
  tenants: string[];
}

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
  tenants: ['school-a', 'school-b'],
};

export const production: Profile = {
  name: 'production',
  kafka: { brokers: 3, controllers: 3, replicationFactor: 3, minInsyncReplicas: 2, storage: '100Gi', authentication: true },
  // mmap needs vm.max_map_count ≥ 262144 on every node (README, "Production").
  elasticsearch: { nodes: 3, heap: '2g', memory: '4Gi', cpu: '2', storage: '100Gi', security: true, mmap: true },
  postgres: { storage: '20Gi', memory: '1Gi' },
  highAvailability: true,
  kafkaUi: false,
  externalSecrets: [
    'postgres-credentials',
    'postgres-teachers-credentials',
    'postgres-identity-credentials',
    'postgres-payments-credentials',
    'postgres-ledger-credentials',
    'identity-bootstrap-admin',
    // No development provider client: a platform administrator creates it through identity's API.
    'identity-payment-provider',
    'elasticsearch-credentials',
    'elasticsearch-certs',
  ],
  tenants: ['school-a', 'school-b'],
};

export const profiles = { kind, production } as const;
