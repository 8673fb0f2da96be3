/**
 * What a service is, as data: its image and the programs in it, the configuration each program
 * validates, the events it publishes, and what each workload needs from the platform (a database,
 * Elasticsearch, Kafka topics, token verification). The registry of manifests (services/registry.ts)
 * is the one list of services: the image table, the chart, the env contract and `make contracts`
 * read it. A manifest names no construct: the chart (cdk8s/service-props.ts) turns it into one.
 */
import type { z } from 'zod';
import type { Contract } from './contracts.ts';

/** An environment variable taken from a key of a Secret. */
export interface SecretRef {
  secret: string;
  key: string;
}

/** An environment variable taken from the pod's own fields, e.g. `{ field: 'metadata.name' }`. */
export interface FieldRef {
  field: string;
}

/**
 * Typed environment: a plain string goes into the workload's ConfigMap, a SecretRef becomes a
 * secretKeyRef and a FieldRef a fieldRef, so no secret value is ever written into a ConfigMap.
 */
export type EnvValue = string | SecretRef | FieldRef;

/** An image: `eventide/<name>`, holding one bundle per program. */
export interface ImageManifest {
  name: string;
  /** Bundle file → the repository-relative entry point it is built from, e.g. { 'catalog.js': 'services/catalog/main.ts' }. */
  bundles: Record<string, string>;
}

/** A topic a workload publishes to; replication comes from the cluster. */
export interface ProducedTopicSpec {
  topicName: string;
  partitions: number;
  config?: Record<string, string>;
}

/** What a workload consumes: a ConsumerGroup scales it by lag; its dead letters go to `<group>.dlq`. */
export interface ConsumesSpec {
  topics: string[];
  /** Kafka group id. Default: the workload's name. */
  group?: string;
  minReplicas?: number;
  maxReplicas?: number;
  lagThreshold?: number;
  offsetResetPolicy?: 'earliest' | 'latest';
}

/** Elasticsearch privileges of the workload's own user (profiles with security on). */
export interface ElasticsearchGrant {
  cluster?: string[];
  indices: { names: string[]; privileges: string[] }[];
}

/** A container's CPU and memory, as Kubernetes quantities. */
export interface ContainerResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** What the chart knows of the cluster that a manifest's own variables depend on. */
export interface PlatformFacts {
  /** The schools onboarding knows (the profile's tenants). */
  tenants: string[];
  /** Whether the chart creates this Secret with development values (else whoever runs the cluster does). */
  development(secret: string): boolean;
}

/** One Deployment of the service. */
export interface WorkloadManifest {
  /** Deployment, Service and ConfigMap name, e.g. "search-api". */
  name: string;
  /** The bundle (a key of the image's bundles) its container runs. */
  bundle: string;
  /** The schema its program validates its environment with (runService adds OpenTelemetry's). */
  config: z.ZodObject;
  /** It serves HTTP to others: a Service and an ingress policy. Default: only probes and /metrics. */
  http?: boolean;
  /** Its own PostgreSQL database and role, of this name (PG* variables). Default: none. */
  database?: string;
  /** Its own Elasticsearch user with these privileges (ELASTICSEARCH_* variables). Default: none. */
  elasticsearch?: ElasticsearchGrant;
  /** It verifies its callers' tokens with identity's key set (IDENTITY_JWKS_URL). Default: false. */
  verifiesTokens?: boolean;
  produces?: ProducedTopicSpec[];
  consumes?: ConsumesSpec;
  /** Default: requests 100m CPU / 128Mi, limits 1 CPU / 256Mi. */
  resources?: ContainerResources;
  /** Its own variables, beyond those the needs above bring. */
  env?: (platform: PlatformFacts) => Record<string, EnvValue>;
}

export interface ServiceManifest extends ImageManifest {
  /** Every event type the service publishes; `make contracts` writes their JSON Schemas. */
  contracts: readonly Contract[];
  workloads: WorkloadManifest[];
  /** A worked example: deployed by profiles that ask for examples (kind), never in production. */
  example?: boolean;
}

/** Image → bundle file → entry point, for every image; the Dockerfile bundles from it and the local node agent runs it. */
export function imageTable(images: readonly ImageManifest[]): Record<string, Record<string, string>> {
  const table: Record<string, Record<string, string>> = {};
  for (const image of images) {
    if (table[image.name]) throw new Error(`two images named ${image.name}`);
    table[image.name] = image.bundles;
  }
  return table;
}
