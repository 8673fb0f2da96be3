/**
 * The values file: everything a person may change about a chart without editing TypeScript. This
 * schema is the one place its fields, defaults and limits are written; the defaults are the kind
 * profile's (a laptop), and docs/chart-and-kind.md's table is generated from it (`valuesTable`).
 */
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { defaultNamespace } from './labels.ts';

/** A DNS-1123 label: namespaces, tenants, chart names. */
const label = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label: lower-case letters, digits and "-", e.g. "eventide"');
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/, 'must be a Kubernetes quantity, e.g. "2Gi" or "500m"');
const count = (min: number) => z.number().int().min(min);
const port = z.number().int().min(1).max(65535);
const nodePort = z.strictObject({
  nodePort: z.number().int().min(30000).max(32767).describe("the node's port kind maps"),
  hostPort: port.describe('the port on the host'),
});
const labelMap = z.record(z.string(), z.string());
/** Who, outside the namespace, a NetworkPolicy lets in or out: pods of labelled namespaces, or addresses. */
const endpoint = z.union([z.strictObject({ namespace: labelMap, pods: labelMap.optional() }), z.strictObject({ cidr: z.string() })]);

export const valuesSchema = z
  .strictObject({
    name: label.describe("The chart's name: `make synth VALUES=<file>` writes `charts/<name>/` unless `OUT` names another directory."),
    namespace: label
      .default(defaultNamespace)
      .describe('The namespace every namespaced object of the chart lives in; the chart creates it.'),
    images: z
      .strictObject({
        registry: z
          .string()
          .regex(
            /^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?(\/[a-z0-9]([-a-z0-9._]*[a-z0-9])?)*$/,
            'must be a registry host and path, e.g. "ghcr.io/acme"',
          )
          .optional()
          .describe(
            'Prefix of every Eventide image, `<registry>/eventide/<name>:<tag>`. Default none: `eventide/<name>:<tag>`, the names `make images` loads into kind.',
          ),
        tag: z
          .string()
          .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag')
          .optional()
          .describe("Every Eventide image's tag. Default: the version in package.json."),
        pullPolicy: z
          .enum(['IfNotPresent', 'Never'])
          .optional()
          .describe(
            'Default: `Never` without a registry (the images `make images` loads into kind: a missing one fails as ErrImageNeverPull instead of pulling `docker.io/eventide/*`), `IfNotPresent` with one.',
          ),
      })
      .prefault({}),
    kafka: z
      .strictObject({
        brokers: count(1).default(1).describe('Broker nodes; with `controllers: 0` each is also a KRaft controller.'),
        controllers: count(0).default(0).describe('Dedicated KRaft controller nodes.'),
        replicationFactor: count(1).default(1).describe("Every Topic's replicas per partition (at most `brokers`)."),
        minInsyncReplicas: count(1).default(1).describe("Every Topic's `min.insync.replicas` (at most `replicationFactor`)."),
        storage: quantity.default('2Gi').describe("Each Kafka node's volume."),
        authentication: z
          .boolean()
          .default(false)
          .describe('TLS and SCRAM-SHA-512 only, a KafkaUser with least ACLs per workload; false: one plain listener.'),
        external: z
          .strictObject({ bootstrap: nodePort, brokers: z.array(nodePort).min(1).describe('one per broker, in node id order') })
          .nullable()
          .default({ bootstrap: { nodePort: 30092, hostPort: 9092 }, brokers: [{ nodePort: 30093, hostPort: 9093 }] })
          .describe("A NodePort listener the host reaches through kind's port mappings (deploy/kind-cluster.yaml); null: none."),
      })
      .prefault({}),
    elasticsearch: z
      .strictObject({
        nodes: count(1).default(1).describe('Elasticsearch nodes (one StatefulSet).'),
        heap: z
          .string()
          .regex(/^[0-9]+[kmg]$/, 'must be a JVM size, e.g. "512m" or "2g"')
          .default('512m')
          .describe('The JVM heap (-Xms/-Xmx): about half of `memory`.'),
        memory: quantity.default('1Gi').describe("Each node's memory request and limit."),
        cpu: quantity.default('500m').describe("Each node's CPU request."),
        storage: quantity.default('2Gi').describe("Each node's data volume."),
        security: z.boolean().default(false).describe('HTTPS and a user per search workload (needs the `elasticsearch-*` Secrets).'),
        mmap: z.boolean().default(false).describe('mmap-backed indices: every node needs `vm.max_map_count` ≥ 262144.'),
      })
      .prefault({}),
    postgres: z
      .strictObject({
        storage: quantity.default('1Gi').describe("PostgreSQL's data volume."),
        memory: quantity.default('256Mi').describe("PostgreSQL's memory request and limit."),
      })
      .prefault({}),
    highAvailability: z
      .boolean()
      .default(false)
      .describe('Two replicas of every non-consumer workload, PodDisruptionBudgets, spreading over nodes, larger Kafka nodes.'),
    kafkaUi: z.boolean().default(true).describe('A Kafka web UI, for a person watching the platform on a laptop.'),
    console: z
      .boolean()
      .default(true)
      .describe('The platform console (Topics, ConsumerGroups with lag and replicas over time), for platform administrators.'),
    tracing: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Every workload's spans over OTLP/HTTP."),
        sampleRatio: z.number().min(0).max(1).default(1).describe('The share of new traces kept.'),
        endpoint: z.url().optional().describe('An OTLP/HTTP collector the cluster has. Default none: the chart adds a Jaeger of its own.'),
      })
      .prefault({}),
    tenants: z
      .array(label)
      .min(1)
      .default(['school-a', 'school-b'])
      .describe('The schools onboarding knows: teachers refuses others, identity dead-letters their events.'),
    examples: z.boolean().default(true).describe("Deploy the registry's worked examples (services/category-counts)."),
    externalSecrets: z
      .array(label)
      .default([])
      .describe(
        'Secrets the chart refers to but does not contain, created by whoever runs the cluster; each replaces the development Secret of that name.',
      ),
    operator: z
      .strictObject({
        watchNamespaces: z
          .union([z.array(label).min(1), z.literal('all')])
          .optional()
          .describe(
            "Where the operator reconciles Topics and ConsumerGroups, a Role in each; 'all': a ClusterRole. Default: `[namespace]`.",
          ),
      })
      .prefault({}),
    network: z
      .strictObject({
        apiServer: z
          .strictObject({ cidr: z.string(), ports: z.array(port).min(1) })
          .default({ cidr: '0.0.0.0/0', ports: [443, 6443] })
          .describe(
            "The API server's addresses and ports (the `kubernetes` Service's 443 and the server's own): narrow the CIDR where known.",
          ),
        dns: endpoint
          .default({ namespace: { 'kubernetes.io/metadata.name': 'kube-system' }, pods: { 'k8s-app': 'kube-dns' } })
          .describe('The cluster DNS every pod resolves Services with (UDP and TCP 53).'),
        metricsScrapers: endpoint
          .default({ namespace: { 'eventide.dev/metrics-scraper': 'true' } })
          .describe('Who may scrape /metrics on ports that serve nothing else.'),
      })
      .prefault({}),
  })
  .superRefine(
    (values, context) => {
      const { kafka } = values;
      if (kafka.replicationFactor > kafka.brokers)
        context.addIssue({
          code: 'custom',
          path: ['kafka', 'replicationFactor'],
          message: `must be at most kafka.brokers (${kafka.brokers})`,
        });
      if (kafka.minInsyncReplicas > kafka.replicationFactor)
        context.addIssue({
          code: 'custom',
          path: ['kafka', 'minInsyncReplicas'],
          message: `must be at most kafka.replicationFactor (${kafka.replicationFactor})`,
        });
      if (kafka.external && kafka.external.brokers.length !== kafka.brokers)
        context.addIssue({
          code: 'custom',
          path: ['kafka', 'external', 'brokers'],
          message: `must list one port mapping per broker (${kafka.brokers})`,
        });
      // Relations between fields mean something only once each field is valid on its own.
    },
    { when: (payload) => payload.issues.length === 0 },
  );

export type Values = z.output<typeof valuesSchema>;

/** A values file that cannot be used: every problem as `<file>: <path>: <message>`, one a line. */
export class ValuesError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source} is not a valid values file:\n${problems.map((p) => `  ${source}: ${p}`).join('\n')}`);
    this.name = 'ValuesError';
    this.problems = problems;
  }
}

/** A values file's text, parsed and validated; `source` names it in the errors. */
export function parseValues(text: string, source: string): Values {
  const document = parseDocument(text);
  if (document.errors.length > 0)
    throw new ValuesError(
      source,
      document.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]?.replace(/:$/, '')}`),
    );
  const parsed = valuesSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success)
    throw new ValuesError(
      source,
      parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`),
    );
  return parsed.data;
}

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  anyOf?: JsonSchemaNode[];
}

/** The documentation's table of every field: path, default, what it does. */
export function valuesTable(): string {
  const rows: string[] = ['| field | default | what |', '| --- | --- | --- |'];
  const walk = (node: JsonSchemaNode, path: string) => {
    // A section (no default of its own, or `{}`) expands into its fields; a field whose default is
    // a whole object (the network's endpoints) is one row.
    const section = node.properties && (node.default === undefined || JSON.stringify(node.default) === '{}');
    if (section) {
      for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, path ? `${path}.${key}` : key);
      return;
    }
    const fallback = node.default === undefined ? '—' : `\`${JSON.stringify(node.default)}\``;
    rows.push(`| \`${path}\` | ${fallback} | ${(node.description ?? '').replaceAll('|', '\\|')} |`);
  };
  walk(z.toJSONSchema(valuesSchema, { io: 'input' }) as JsonSchemaNode, '');
  return rows.join('\n');
}
