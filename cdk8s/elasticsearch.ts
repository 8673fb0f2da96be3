import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { versions } from '../shared/versions.ts';
import { labels, namespaceOf, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

export interface ElasticsearchProps {
  nodes?: number;
  heap?: string;
  memory?: string;
  cpu?: string;
  storage?: string;
  /**
   * Security on (production) needs two Secrets created by whoever runs the cluster:
   * `elasticsearch-certs` (elastic-certificates.p12 for transport TLS, elastic-http.p12 for HTTPS,
   * and ca.crt, the CA that signed the HTTP certificate, for the clients) and
   * `elasticsearch-credentials` (the elastic user's password). Off (kind) is plain HTTP, no auth.
   */
  security?: boolean;
  /**
   * Memory-mapped index files, Elasticsearch's default and fastest store. It needs the nodes'
   * vm.max_map_count ≥ 262144, which whoever runs the cluster sets (no privileged init container
   * here). Default false: a laptop's kind node is left alone.
   */
  mmap?: boolean;
  /** PodDisruptionBudget and anti-affinity, for more than one node. */
  highAvailability?: boolean;
}

/** The elasticsearch user in Elastic's image. */
const esUser = 1000;
const home = '/usr/share/elasticsearch';

/**
 * Elasticsearch 8.x as a StatefulSet with a PVC per node, its client Service and a headless
 * Service for discovery. Runs unprivileged with a read-only root FS: the config directory is copied
 * into an emptyDir by an unprivileged init container (which also decides whether this node
 * bootstraps a new cluster), and no privileged init container raises vm.max_map_count.
 */
export class Elasticsearch extends Construct {
  static readonly serviceName = 'elasticsearch';
  static readonly port = 9200;
  /** The nodes' transport among themselves. */
  static readonly transportPort = 9300;
  /**
   * With security on: the `elastic` superuser's password (key `password`), created out of band and
   * read only by Elasticsearch and the users Job (ElasticsearchUsers): workloads have users of their own.
   */
  static readonly credentialsSecret = 'elasticsearch-credentials';
  /** With security on: the transport TLS keystore, created out of band. */
  static readonly certificatesSecret = 'elasticsearch-certs';

  constructor(scope: Construct, id: string, props: ElasticsearchProps = {}) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const nodes = props.nodes ?? 1;
    const name = Elasticsearch.serviceName;
    const headless = `${name}-headless`;
    const meta = { name, namespace, labels: labels(name, 'search-engine') };
    const image = `docker.elastic.co/elasticsearch/elasticsearch:${versions.elasticsearch}`;
    const security = props.security ?? false;

    const settings: Record<string, string> = {
      'cluster.name': 'eventide',
      'network.host': '0.0.0.0',
      ...(props.mmap ? {} : { 'node.store.allow_mmap': 'false' }),
      'xpack.security.enabled': String(security),
      'xpack.ml.enabled': 'false',
      // The namespace lets nothing out to the internet: no GeoIP databases to fetch, nor retries in the log.
      'ingest.geoip.downloader.enabled': 'false',
      ES_JAVA_OPTS: `-Xms${props.heap ?? '512m'} -Xmx${props.heap ?? '512m'}`,
    };
    if (nodes === 1) {
      settings['discovery.type'] = 'single-node';
    } else {
      settings['discovery.seed_hosts'] = headless;
    }
    // cluster.initial_master_nodes is for forming a new cluster only: set on a later start it can
    // bootstrap a second cluster from nodes that lost their peers. The init container writes it
    // into elasticsearch.yml only while the node's data volume holds no cluster state yet.
    const initialMasters = Array.from({ length: nodes }, (_, i) => `${name}-${i}`).join(',');
    const bootstrapOnce =
      nodes > 1
        ? ` && if [ ! -d /data/_state ]; then echo "cluster.initial_master_nodes: ${initialMasters}" >> /config/elasticsearch.yml; fi`
        : '';
    if (security) {
      Object.assign(settings, {
        'xpack.security.transport.ssl.enabled': 'true',
        'xpack.security.transport.ssl.verification_mode': 'certificate',
        'xpack.security.transport.ssl.keystore.path': 'certs/elastic-certificates.p12',
        'xpack.security.transport.ssl.truststore.path': 'certs/elastic-certificates.p12',
        // The elastic password and every document cross the network over TLS only.
        'xpack.security.http.ssl.enabled': 'true',
        'xpack.security.http.ssl.keystore.path': 'certs/elastic-http.p12',
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
    // Ready means the cluster health answers green or yellow, not merely an open socket. With
    // security on it asks as elastic over HTTPS, the password read from the container's env.
    const health = `curl -fsS --max-time 4 --cacert ${home}/config/certs/ca.crt -u "elastic:$ELASTIC_PASSWORD" "https://127.0.0.1:${Elasticsearch.port}/_cluster/health?local=true"`;
    const readiness: k8s.Probe = security
      ? { exec: { command: ['sh', '-c', `${health} | grep -qE '"status":"(green|yellow)"'`] }, periodSeconds: 10, timeoutSeconds: 5 }
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
        ports: [{ name: 'transport', port: Elasticsearch.transportPort, targetPort: k8s.IntOrString.fromString('transport') }],
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
                command: ['sh', '-c', `cp -R ${home}/config/. /config/${bootstrapOnce}`],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('64Mi') },
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
                },
                securityContext: restrictedContainer(esUser),
                volumeMounts: [
                  { name: 'config', mountPath: '/config' },
                  { name: 'data', mountPath: '/data', readOnly: true },
                ],
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
                  { name: 'transport', containerPort: Elasticsearch.transportPort },
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
