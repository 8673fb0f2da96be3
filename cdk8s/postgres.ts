import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { labels, namespaceOf, selectorLabels } from './labels.ts';
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
  /**
   * Databases of their own for services, each with a role of the same name whose password is in
   * the Secret `credentialsSecretOf(name)` (keys username, password; a development one with
   * developmentPassword), and which only that role (and the superuser) may connect to. Created
   * when the data directory is initialised, as the image does for POSTGRES_DB. Default: none.
   */
  databases?: string[];
}

/**
 * Creates each EVENTIDE_DATABASES entry's role and database unless it exists (the image runs it on
 * the first start; it is safe to run again, e.g. `kubectl exec` on a volume made before a database
 * was added). Then takes CONNECT (and TEMPORARY) from PUBLIC on every database: PostgreSQL grants
 * them to every role on each new database, so without this any service's role could open
 * identity's, where the token signing keys are. Each role keeps its own database as its owner;
 * the superuser bypasses privileges.
 */
const createDatabases = `#!/bin/sh
for db in $(echo "$EVENTIDE_DATABASES" | tr ',' ' '); do
  password=$(printenv "EVENTIDE_DB_PASSWORD_$(echo "$db" | tr 'a-z-' 'A-Z_')")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v db="$db" -v pw="$password" <<'SQL' || exit 1
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'db', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'db') \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \\gexec
SQL
done
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL' || exit 1
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', datname) FROM pg_database WHERE datallowconn \\gexec
SQL
`;

/** The environment variable that carries a database's password to the init script. */
export const databasePasswordVariable = (database: string) => `EVENTIDE_DB_PASSWORD_${database.toUpperCase().replaceAll('-', '_')}`;

/** The postgres user in the official alpine image. */
const postgresUser = 70;

/**
 * PostgreSQL as a one-replica StatefulSet with a PVC. The superuser's credentials (Secret
 * `credentialsSecret`) are the server's and its probe's alone; every service logs in as its own role.
 */
export class Postgres extends Construct {
  static readonly serviceName = 'postgres';
  static readonly credentialsSecret = 'postgres-credentials';
  static readonly database = 'eventide';
  static readonly port = 5432;

  /** The Secret holding a service database's username and password (a DNS name: `_` becomes `-`). */
  static credentialsSecretOf(database: string): string {
    return `postgres-${database.replaceAll('_', '-')}-credentials`;
  }

  constructor(scope: Construct, id: string, props: PostgresProps = {}) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = Postgres.serviceName;
    const meta = { name, namespace, labels: labels(name, 'database') };
    if (props.developmentPassword !== undefined) {
      new k8s.KubeSecret(this, 'credentials', {
        metadata: { ...meta, name: Postgres.credentialsSecret },
        type: 'Opaque',
        stringData: { username: 'eventide', password: props.developmentPassword },
      });
    }
    const databases = props.databases ?? [];
    for (const database of databases) {
      if (!/^[a-z][a-z0-9_]*$/.test(database)) throw new Error(`postgres: database ${database} must be a plain lowercase identifier`);
      if (props.developmentPassword !== undefined)
        new k8s.KubeSecret(this, `credentials-${database}`, {
          metadata: { ...meta, name: Postgres.credentialsSecretOf(database) },
          type: 'Opaque',
          stringData: { username: database, password: `${props.developmentPassword}-${database}` },
        });
    }
    if (databases.length > 0)
      new k8s.KubeConfigMap(this, 'init', { metadata: { ...meta, name: 'postgres-init' }, data: { '10-databases.sh': createDatabases } });
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
                  ...(databases.length > 0 ? [{ name: 'EVENTIDE_DATABASES', value: databases.join(',') }] : []),
                  ...databases.map((database) => ({
                    name: databasePasswordVariable(database),
                    valueFrom: { secretKeyRef: { name: Postgres.credentialsSecretOf(database), key: 'password' } },
                  })),
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString(props.memory ?? '256Mi') },
                  limits: { cpu: k8s.Quantity.fromString('1'), memory: k8s.Quantity.fromString(props.memory ?? '256Mi') },
                },
                // The first start runs initdb and the init scripts (each service's role and
                // database) on a server that listens on the socket only, so the probe's TCP
                // connection fails until the real server is up. Liveness waits for this: killing
                // the container mid-init leaves a data directory without the services' databases.
                startupProbe: { ...probe(5), failureThreshold: 60 },
                readinessProbe: probe(5),
                livenessProbe: { ...probe(10), failureThreshold: 6 },
                securityContext: restrictedContainer(postgresUser),
                volumeMounts: [
                  { name: 'data', mountPath: '/var/lib/postgresql/data' },
                  { name: 'run', mountPath: '/var/run/postgresql' },
                  { name: 'tmp', mountPath: '/tmp' },
                  ...(databases.length > 0 ? [{ name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'run', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
              ...(databases.length > 0 ? [{ name: 'init', configMap: { name: 'postgres-init', defaultMode: 0o555 } }] : []),
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
