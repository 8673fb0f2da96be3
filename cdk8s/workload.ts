import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ContainerResources, EnvValue, FieldRef, SecretRef } from '../lib/service-manifest.ts';
import { labels, namespaceOf, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

/** Where a workload sends its spans (lib/tracing.ts reads these as the standard OTEL_* variables). */
export interface TracingExport {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP/HTTP collector, e.g. http://jaeger:4318. */
  endpoint: string;
  /** The share of new traces kept (parentbased_traceidratio): a trace begun upstream keeps its caller's decision. */
  sampleRatio: number;
}

export interface WorkloadProps {
  /** Deployment, ConfigMap, container and (if any) Service name, e.g. "catalog". */
  name: string;
  /** The app.kubernetes.io/component label, e.g. "api", "consumer", "operator". */
  component: string;
  image: string;
  /** The bundle this Deployment runs, e.g. ["node", "search-indexer.js"]. */
  command: string[];
  /**
   * Fixed replica count. Default: none — the Deployment then has no replicas field, so re-applying
   * the chart never undoes a scale by the operator (or an HPA).
   */
  replicas?: number;
  /** The container's HTTP port (named "http"): /healthz, /readyz, /metrics and any API. Default: 8080. */
  port?: number;
  /** Environment. Default: only PORT (always set, in the ConfigMap). */
  env?: Record<string, EnvValue>;
  /** Give the pod this ServiceAccount's token. Default: none, and no token is mounted. */
  serviceAccountName?: string;
  /** Default: requests 100m CPU / 128Mi, limits 1 CPU / 256Mi. */
  resources?: ContainerResources;
  /** Spread replicas over nodes (production). Default: false. */
  spread?: boolean;
  /** A ClusterIP Service in front of the http port, named like the Deployment. Default: true. */
  service?: boolean;
  /** Send spans there, under the Deployment's name as the service name. Default: none (tracing off). */
  tracing?: TracingExport;
  /** Default: IfNotPresent. */
  imagePullPolicy?: ImagePullPolicy;
}

export type ImagePullPolicy = 'IfNotPresent' | 'Never';

/** The OTEL_* variables of a workload that sends its spans to `tracing`; none without it. */
export function tracingEnv(name: string, tracing: TracingExport | undefined): Record<string, string> {
  if (!tracing) return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: tracing.endpoint,
    OTEL_SERVICE_NAME: name,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(tracing.sampleRatio),
  };
}

/** The user every Eventide image runs as (node:24-alpine's "node"). */
export const appUser = 1000;

const defaultResources: ContainerResources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } };

const isSecret = (value: EnvValue): value is SecretRef => typeof value === 'object' && 'secret' in value;
const isField = (value: EnvValue): value is FieldRef => typeof value === 'object' && 'field' in value;

/**
 * The Kubernetes part of one Eventide Node process (every service, the operator): a Deployment with
 * health probes, limits, a restricted security context and a read-only root FS, its ConfigMap of
 * plain settings, and optionally its Service.
 */
export class Workload extends Construct {
  readonly name: string;
  readonly port: number;
  readonly deployment: k8s.KubeDeployment;
  readonly service?: k8s.KubeService;

  constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const port = props.port ?? 8080;
    this.name = props.name;
    this.port = port;
    const meta = { name: props.name, namespace, labels: labels(props.name, props.component) };
    const resources = props.resources ?? defaultResources;

    const entries = Object.entries({ ...tracingEnv(props.name, props.tracing), ...props.env });
    const plain = Object.fromEntries(entries.filter((e): e is [string, string] => typeof e[1] === 'string'));
    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: meta, data: { PORT: String(port), ...plain } });
    const env: k8s.EnvVar[] = [
      ...entries.flatMap(([name, ref]) =>
        isSecret(ref) ? [{ name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } }] : [],
      ),
      ...entries.flatMap(([name, ref]) => (isField(ref) ? [{ name, valueFrom: { fieldRef: { fieldPath: ref.field } } }] : [])),
    ];
    const probe = (path: string, periodSeconds: number, failureThreshold: number): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString('http') },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 2,
    });

    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta,
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selectorLabels(props.name) },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        template: {
          metadata: { labels: labels(props.name, props.component) },
          spec: {
            serviceAccountName: props.serviceAccountName,
            automountServiceAccountToken: props.serviceAccountName !== undefined,
            securityContext: restrictedPod(appUser),
            terminationGracePeriodSeconds: 30,
            topologySpreadConstraints: props.spread
              ? [
                  {
                    maxSkew: 1,
                    topologyKey: 'kubernetes.io/hostname',
                    whenUnsatisfiable: 'ScheduleAnyway',
                    labelSelector: { matchLabels: selectorLabels(props.name) },
                  },
                ]
              : undefined,
            containers: [
              {
                name: props.name,
                image: props.image,
                imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
                command: props.command,
                ports: [{ name: 'http', containerPort: port }],
                envFrom: [{ configMapRef: { name: props.name } }],
                env: env.length > 0 ? env : undefined,
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString(resources.requests.cpu),
                    memory: k8s.Quantity.fromString(resources.requests.memory),
                  },
                  limits: { cpu: k8s.Quantity.fromString(resources.limits.cpu), memory: k8s.Quantity.fromString(resources.limits.memory) },
                },
                startupProbe: probe('/healthz', 2, 30),
                livenessProbe: probe('/healthz', 10, 3),
                readinessProbe: probe('/readyz', 5, 2),
                securityContext: restrictedContainer(appUser),
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              },
            ],
            volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
          },
        },
      },
    });
    this.deployment.addDependency(configMap);

    if (props.service ?? true) {
      this.service = new k8s.KubeService(this, 'service', {
        metadata: meta,
        spec: { selector: selectorLabels(props.name), ports: [{ name: 'http', port, targetPort: k8s.IntOrString.fromString('http') }] },
      });
    }
  }
}
