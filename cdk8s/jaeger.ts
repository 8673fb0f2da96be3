import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labels, namespaceOf, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

/** Where Jaeger listens: OTLP over HTTP in, the query API and UI out, and its health. */
export interface JaegerListeners {
  host: string;
  otlp: number;
  query: number;
  health: number;
}

export interface JaegerProps {
  /** A Jaeger v2 image, the UI included; the platform passes jaegertracing/jaeger:<versions.json jaeger>. */
  image: string;
  /** Traces kept in memory; the oldest go first. Default: 20,000 (a laptop's worth). */
  maxTraces?: number;
}

/** The official image runs as uid 10001. */
const jaegerUser = 10001;

/**
 * A Jaeger (v2) for a cluster without a tracing backend of its own (the kind profile): OTLP over
 * HTTP in, traces in memory, the UI and query API on 16686. Every Eventide workload sends its spans
 * here when the profile turns tracing on (Workload's `tracing`).
 */
export class Jaeger extends Construct {
  static readonly serviceName = 'jaeger';
  static readonly ports = { otlp: 4318, query: 16686, health: 13133 };
  /** What OTEL_EXPORTER_OTLP_ENDPOINT names inside the cluster. */
  static readonly otlpEndpoint = `http://${Jaeger.serviceName}:${Jaeger.ports.otlp}`;

  /** Jaeger's all-in-one pipeline, with only what Eventide uses: local mode runs the same file. */
  static config(listen: JaegerListeners, maxTraces = 20_000): string {
    return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: ${listen.host}:${listen.health}
  jaeger_query:
    storage:
      traces: memory
    http:
      endpoint: ${listen.host}:${listen.query}
    grpc:
      endpoint: 127.0.0.1:0
  jaeger_storage:
    backends:
      memory:
        memory:
          max_traces: ${maxTraces}
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${listen.host}:${listen.otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory
`;
  }

  constructor(scope: Construct, id: string, props: JaegerProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = Jaeger.serviceName;
    const meta = { name, namespace, labels: labels(name, 'tracing') };
    const { otlp, query, health } = Jaeger.ports;
    const config = new k8s.KubeConfigMap(this, 'config', {
      metadata: meta,
      data: { 'config.yaml': Jaeger.config({ host: '0.0.0.0', otlp, query, health }, props.maxTraces) },
    });
    const probe: k8s.Probe = {
      httpGet: { path: '/status', port: k8s.IntOrString.fromString('health') },
      periodSeconds: 10,
      timeoutSeconds: 3,
    };
    const deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta,
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels: labels(name, 'tracing') },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPod(jaegerUser),
            containers: [
              {
                name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                args: ['--config=file:/etc/jaeger/config.yaml'],
                ports: [
                  { name: 'otlp-http', containerPort: otlp },
                  { name: 'query', containerPort: query },
                  { name: 'health', containerPort: health },
                ],
                // Asks for little: on a 2-core kind node the platform's requests with five indexers
                // came to exactly 2 CPUs before Jaeger, and with it at 50m the e2e suite's fifth
                // indexer could not be scheduled. Idle, with memory storage, it uses a few millicores.
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('512Mi') },
                },
                startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 30 },
                livenessProbe: probe,
                readinessProbe: probe,
                securityContext: restrictedContainer(jaegerUser),
                volumeMounts: [
                  { name: 'config', mountPath: '/etc/jaeger', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name } },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
    deployment.addDependency(config);
    new k8s.KubeService(this, 'service', {
      metadata: meta,
      spec: {
        selector: selectorLabels(name),
        ports: [
          { name: 'otlp-http', port: otlp, targetPort: k8s.IntOrString.fromString('otlp-http') },
          { name: 'query', port: query, targetPort: k8s.IntOrString.fromString('query') },
        ],
      },
    });
  }
}
