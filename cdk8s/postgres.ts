import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labels, namespace, selectorLabels } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

export interface PostgresProps {
  image?: string;
  storage?: string;
  memory?: string;
  /**
   * Put a development password in a Secret of the chart (kind). Otherwise the Secret named
   * `credentialsSecret` must be created by whoever runs the cluster, before the chart is applied.
   */
  developmentPassword?: string;
}

/** The postgres user in the official alpine image. */
const postgresUser = 70;

/** PostgreSQL as a one-replica StatefulSet with a PVC; credentials in a Secret. */
export class Postgres extends Construct {
  static readonly serviceName = 'postgres';
  static readonly credentialsSecret = 'postgres-credentials';
  static readonly database = 'eventide';
  static readonly port = 5432;

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    super(scope, id);
    const name = Postgres.serviceName;
    const meta = { name, namespace, labels: labels(name, 'database') };
    if (props.developmentPassword !== undefined) {
      new k8s.KubeSecret(this, 'credentials', {
        metadata: { ...meta, name: Postgres.credentialsSecret },
        type: 'Opaque',
        stringData: { username: 'eventide', password: props.developmentPassword },
      });
    }
    const secret = (key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: Postgres.credentialsSecret, key } });
    const probe = (periodSeconds: number): k8s.Probe => ({
      exec: { command: ['pg_isready', '-U', 'eventide', '-d', Postgres.database, '-h', '127.0.0.1'] },
      periodSeconds,
      timeoutSeconds: 3,
    });
    new k8s.KubeService(this, 'service', {
      metadata: meta,
      spec: {
        selector: selectorLabels(name),
        ports: [{ name: 'postgres', port: Postgres.port, targetPort: k8s.IntOrString.fromString('postgres') }],
      },
    });
    new k8s.KubeStatefulSet(this, 'statefulset', {
      metadata: meta,
      spec: {
        serviceName: name,
        replicas: 1,
        selector: { matchLabels: selectorLabels(name) },
        template: {
          metadata: { labels: labels(name, 'database') },
          spec: {
            automountServiceAccountToken: false,
            securityContext: restrictedPod(postgresUser),
            containers: [
              {
                name: 'postgres',
                image: props.image ?? 'postgres:15.18-alpine',
                imagePullPolicy: 'IfNotPresent',
                ports: [{ name: 'postgres', containerPort: Postgres.port }],
                env: [
                  { name: 'POSTGRES_USER', valueFrom: secret('username') },
                  { name: 'POSTGRES_PASSWORD', valueFrom: secret('password') },
                  { name: 'POSTGRES_DB', value: Postgres.database },
                  // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
                  { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString(props.memory ?? '256Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(props.memory ?? '256Mi') },
                },
                readinessProbe: probe(5),
                livenessProbe: { ...probe(10), failureThreshold: 6 },
                securityContext: restrictedContainer(postgresUser),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: k8s.Quantity.fromString(props.storage ?? '1Gi') } } },
          },
        ],
      },
    });
  }
}
