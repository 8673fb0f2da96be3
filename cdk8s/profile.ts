/**
 * A profile: what differs between one cluster and another (a laptop's kind cluster, production),
 * read from a values file (deploy/values/<name>.yaml, or a user's own: cdk8s/values.ts has every
 * field and default). Everything else is shared.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { platformVersion, repoRoot } from '../shared/versions.ts';
import type { ImageSource } from './images.ts';
import type { KafkaExternalAccess } from './kafka.ts';
import type { NetworkEndpoint } from './network-policies.ts';
import { parseValues, type Values } from './values.ts';
import type { ImagePullPolicy } from './workload.ts';

export interface Profile {
  /** The chart's name: charts/<name>/. */
  name: string;
  /** Where every namespaced object of the chart lives. */
  namespace: string;
  /** Where Eventide's images come from. */
  images: ImageSource;
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
  /** The platform console (cdk8s/console.ts), for platform administrators. */
  console: boolean;
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
   * For Eventide's own images (the values' `images.pullPolicy`). Never on kind: `make images` loads them
   * into the node, and a missing one fails as ErrImageNeverPull instead of pulling a docker.io/eventide/*
   * image someone else may own.
   */
  eventideImagePullPolicy: ImagePullPolicy;
}

/** A validated values file as the profile the app synthesizes. */
export function profileOf(values: Values): Profile {
  return {
    name: values.name,
    namespace: values.namespace,
    images: { registry: values.images.registry, tag: values.images.tag ?? platformVersion },
    kafka: { ...values.kafka, external: values.kafka.external ?? undefined },
    elasticsearch: values.elasticsearch,
    postgres: values.postgres,
    highAvailability: values.highAvailability,
    kafkaUi: values.kafkaUi,
    console: values.console,
    tracing: values.tracing.enabled
      ? { sampleRatio: values.tracing.sampleRatio, ...(values.tracing.endpoint ? { endpoint: values.tracing.endpoint } : {}) }
      : undefined,
    externalSecrets: values.externalSecrets,
    operatorNamespaces: values.operator.watchNamespaces ?? [values.namespace],
    network: values.network,
    tenants: values.tenants,
    examples: values.examples,
    eventideImagePullPolicy: values.images.pullPolicy ?? (values.images.registry ? 'IfNotPresent' : 'Never'),
  };
}

/** The profile a values file describes; a file that is not valid throws a ValuesError naming each problem. */
export function loadProfile(file: string): Profile {
  const shown = relative(process.cwd(), file);
  return profileOf(parseValues(readFileSync(file, 'utf8'), shown.startsWith('..') ? file : shown));
}

/** The committed profiles: deploy/values/<name>.yaml, synthesized into charts/<name>/. */
const valuesDir = join(repoRoot, 'deploy', 'values');
export const kind = loadProfile(join(valuesDir, 'kind.yaml'));
export const production = loadProfile(join(valuesDir, 'production.yaml'));
export const profiles = { kind, production } as const;
