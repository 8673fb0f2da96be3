import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { versions } from '../devkit/paths.ts';
import { labels, namespace, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

export interface ElasticsearchProps {
  nodes?: number;
  heap?: string;
  memory?: string;
  cpu?: string;
  storage?: string;
  /**
   * Security on (production) needs two Secrets created by whoever runs the cluster:
   * `elasticsearch-certs` (transport TLS keystore elastic-certificates.p12) and
   * `elasticsearch-credentials` (the elastic user's password). Off (kind) is plain HTTP, no auth.
   */
  security?: boolean;
  /** PodDisruptionBudget and anti-affinity, for more than one node. */
  highAvailability?: boolean;
}

/** The elasticsearch user in Elastic's image. */
const esUser = 1000;
const home = '/usr/share/elasticsearch';

/**
 * Elasticsearch 8.x as a StatefulSet with a PVC per node, its client Service and a headless
 * Service for discovery. Runs unprivileged with a read-only root FS: the config directory is copied
 * into an emptyDir by an unprivileged init container, and mmap is off so that no privileged init
 * container has to raise vm.max_map_count on the node.
 */
export class Elasticsearch extends Construct {
  static readonly serviceName = 'elasticsearch';
  static readonly port = 9200;
  /** With security on: the `elastic` user's password (key `password`), created out of band. */
  static readonly credentialsSecret = 'elasticsearch-credentials';
  /** With security on: the transport TLS keystore, created out of band. */
  static readonly certificatesSecret = 'elasticsearch-certs';

  constructor(scope: Construct, id: string, props: ElasticsearchProps = {}) {
    super(scope, id);
    const nodes = props.nodes ?? 1;
    const name = Elasticsearch.serviceName;
    const headless = `${name}-headless`;
    const meta = { name, namespace, labels: labels(name, 'search-engine') };
    const image = `docker.elastic.co/elasticsearch/elasticsearch:${versions.elasticsearch}`;
    const security = props.security ?? false;

    const settings: Record<string, string> = {
      'cluster.name': 'eventide',
      'network.host': '0.0.0.0',
      'node.store.allow_mmap': 'false',
      'xpack.security.enabled': String(security),
      'xpack.ml.enabled': 'false',
      ES_JAVA_OPTS: `-Xms${props.heap ?? '512m'} -Xmx${props.heap ?? '512m'}`,
    };
    if (nodes === 1) {
      settings['discovery.type'] = 'single-node';
    } else {
      settings['discovery.seed_hosts'] = headless;
      settings['cluster.initial_master_nodes'] = Array.from({ length: nodes }, (_, i) => `${name}-${i}`).join(',');
    }
    if (security) {
      Object.assign(settings, {
        'xpack.security.transport.ssl.enabled': 'true',
        'xpack.security.transport.ssl.verification_mode': 'certificate',
        'xpack.security.transport.ssl.keystore.path': 'certs/elastic-certificates.p12',
        'xpack.security.transport.ssl.truststore.path': 'certs/elastic-certificates.p12',
      });
    }
    const env: k8s.EnvVar[] = [
      { name: 'node.name', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ...Object.entries(settings).map(([key, value]) => ({ name: key, value })),
      ...(security
        ? [{ name: 'ELASTIC_PASSWORD', valueFrom: { secretKeyRef: { name: Elasticsearch.credentialsSecret, key: 'password' } } }]
        : []),
    ];
    const resources: k8s.ResourceRequirements = {
      requests: { cpu: k8s.Quantity.fromString(props.cpu ?? '500m'), memory: k8s.Quantity.fromString(props.memory ?? '1Gi') },
      limits: { cpu: k8s.Quantity.fromString(props.cpu ?? '500m'), memory: k8s.Quantity.fromString(props.memory ?? '1Gi') },
    };
    // With security on, anonymous HTTP health checks get 401: a TCP check is what works.
    const readiness: k8s.Probe = security
      ? { tcpSocket: { port: k8s.IntOrString.fromString('http') }, periodSeconds: 10 }
      : {
          httpGet: { path: '/_cluster/health?local=true', port: k8s.IntOrString.fromString('http') },
          periodSeconds: 10,
          timeoutSeconds: 5,
        };

    new k8s.KubeService(this, 'service', {
      metadata: meta,
      spec: {
        selector: selectorLabels(name),
        ports: [{ name: 'http', port: Elasticsearch.port, targetPort: k8s.IntOrString.fromString('http') }],
      },
    });
    new k8s.KubeService(this, 'headless', {
      metadata: { ...meta, name: headless },
      spec: {
        clusterIp: 'None',
        publishNotReadyAddresses: true,
        selector: selectorLabels(name),
        ports: [{ name: 'transport', port: 9300, targetPort: k8s.IntOrString.fromString('transport') }],
      },
    });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: meta,
      spec: {
        serviceName: headless,
        replicas: nodes,
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels: labels(name, 'search-engine') },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPod(esUser),
            affinity: props.highAvailability
              ? {
                  podAntiAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: [
                      { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels(name) } },
                    ],
                  },
                }
              : undefined,
            initContainers: [
              {
                name: 'config',
                image,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', `cp -R ${home}/config/. /config/`],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
                },
                securityContext: restrictedContainer(esUser),
                volumeMounts: [{ name: 'config', mountPath: '/config' }],
              },
            ],
            containers: [
              {
                name: 'elasticsearch',
                image,
                imagePullPolicy: 'IfNotPresent',
                env,
                ports: [
                  { name: 'http', containerPort: Elasticsearch.port },
                  { name: 'transport', containerPort: 9300 },
                ],
                resources,
                startupProbe: { tcpSocket: { port: k8s.IntOrString.fromString('http') }, periodSeconds: 5, failureThreshold: 60 },
                livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('transport') }, periodSeconds: 20, failureThreshold: 3 },
                readinessProbe: readiness,
                securityContext: restrictedContainer(esUser),
                volumeMounts: [
                  { name: 'data', mountPath: `${home}/data` },
                  { name: 'config', mountPath: `${home}/config` },
                  { name: 'logs', mountPath: `${home}/logs` },
                  { name: 'tmp', mountPath: '/tmp' },
                  ...(security ? [{ name: 'certs', mountPath: `${home}/config/certs`, readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'config', emptyDir: {} },
              { name: 'logs', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              ...(security ? [{ name: 'certs', secret: { secretName: Elasticsearch.certificatesSecret } }] : []),
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(props.storage ?? '2Gi') } } },
          },
        ],
      },
    });
    if (props.highAvailability) {
      new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata: meta,
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selectorLabels(name) } },
      });
    }
  }
}
