import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labels, namespace, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

export interface SecretRef {
  secret: string;
  key: string;
}

export interface HonoServiceProps {
  /** Deployment, Service and ConfigMap name, e.g. "catalog". */
  name: string;
  component: string;
  image: string;
  /** The bundle this Deployment runs, e.g. ["node", "search-indexer.js"]. */
  command: string[];
  /**
   * Fixed replica count. Leave it out when the operator owns the count: the Deployment then has no
   * replicas field, so re-applying the chart never undoes a scale.
   */
  replicas?: number;
  port?: number;
  /** Plain settings, in a ConfigMap the Deployment reads as environment. */
  config?: Record<string, string>;
  /** Environment variables taken from Secret keys. */
  secretEnv?: Record<string, SecretRef>;
  /** Environment variables from the pod's own fields, e.g. POD_NAME ← metadata.name. */
  fieldEnv?: Record<string, string>;
  /** Give the pod this ServiceAccount's token (only the operator talks to the API server). */
  serviceAccountName?: string;
  resources?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** Spread replicas over nodes (production). */
  spread?: boolean;
}

/** The user every Eventide image runs as (node:24-alpine's "node"). */
export const appUser = 1000;

/**
 * One construct for every Eventide HTTP process (catalog, search-api, search-indexer, operator): a
 * Deployment with health probes, limits, a restricted security context and a read-only root FS,
 * plus its Service and ConfigMap.
 */
export class HonoService extends Construct {
  readonly name: string;
  readonly port: number;
  readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, props: HonoServiceProps) {
    super(scope, id);
    const port = props.port ?? 8080;
    this.name = props.name;
    this.port = port;
    const meta = { name: props.name, namespace, labels: labels(props.name, props.component) };
    const resources = props.resources ?? { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } };

    const configMap = new k8s.KubeConfigMap(this, 'config', { metadata: meta, data: { PORT: String(port), ...props.config } });
    const env: k8s.EnvVar[] = [
      ...Object.entries(props.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
      })),
      ...Object.entries(props.fieldEnv ?? {}).map(([name, fieldPath]) => ({ name, valueFrom: { fieldRef: { fieldPath } } })),
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
                imagePullPolicy: 'IfNotPresent',
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

    new k8s.KubeService(this, 'service', {
      metadata: meta,
      spec: { selector: selectorLabels(props.name), ports: [{ name: 'http', port, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}
