import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { KafkaCluster } from './kafka.ts';
import { labels, namespaceOf, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

export interface KafkaUiProps {
  /** The cluster it shows (read-only); the UI is admitted as its client. */
  kafka: KafkaCluster;
  /** Default: ghcr.io/kafbat/kafka-ui:v1.5.0. */
  image?: string;
}

/** kafbat's image runs as the Alpine system user "kafkaui", the first system uid. */
const kafkaUiUser = 100;

/** A web UI over the cluster's topics and consumer groups, for watching the platform on a laptop. */
export class KafkaUi extends Construct {
  static readonly serviceName = 'kafka-ui';

  constructor(scope: Construct, id: string, props: KafkaUiProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = KafkaUi.serviceName;
    const meta = { name, namespace, labels: labels(name, 'tool') };
    if (props.kafka.authenticated) throw new Error('kafka-ui is configured here for an unauthenticated listener only (the kind profile)');
    props.kafka.allowClient(name);
    const health: k8s.Probe = {
      httpGet: { path: '/actuator/health', port: k8s.IntOrString.fromString('http') },
      periodSeconds: 10,
      timeoutSeconds: 3,
    };
    new k8s.KubeDeployment(this, 'deployment', {
      metadata: meta,
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels: labels(name, 'tool') },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPod(kafkaUiUser),
            containers: [
              {
                name,
                image: props.image ?? 'ghcr.io/kafbat/kafka-ui:v1.5.0',
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'http', containerPort: 8080 }],
                env: [
                  { name: 'KAFKA_CLUSTERS_0_NAME', value: 'eventide' },
                  { name: 'KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS', value: props.kafka.bootstrap },
                  { name: 'KAFKA_CLUSTERS_0_READONLY', value: 'true' },
                  // Heap plus metaspace, threads and buffers inside the limit: -Xmx256m alone under
                  // 384Mi left ~130 MiB for the rest of a Spring Boot JVM and got it OOM-killed.
                  { name: 'JAVA_OPTS', value: '-XX:MaxRAMPercentage=50 -XX:MaxMetaspaceSize=160m' },
                ],
                // 50m: a UI one person looks at now and then; on a 2-core kind node every
                // millicore requested here is one a scaled-out consumer cannot be scheduled on.
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('640Mi') },
                  limits: { cpu: k8s.Quantity.fromString('500m'), memory: k8s.Quantity.fromString('640Mi') },
                },
                startupProbe: { ...health, periodSeconds: 5, failureThreshold: 36 },
                livenessProbe: health,
                readinessProbe: health,
                securityContext: restrictedContainer(kafkaUiUser),
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'config', mountPath: '/etc/kafkaui' },
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: {} },
              { name: 'config', emptyDir: {} },
            ],
          },
        },
      },
    });
    new k8s.KubeService(this, 'service', {
      metadata: meta,
      spec: { selector: selectorLabels(name), ports: [{ name: 'http', port: 8080, targetPort: k8s.IntOrString.fromString('http') }] },
    });
  }
}
