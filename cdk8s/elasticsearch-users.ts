import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { versions } from '../shared/versions.ts';
import { Elasticsearch } from './elasticsearch.ts';
import { labels, namespaceOf } from './labels.ts';
import { restrictedContainer, restrictedPod } from './security.ts';

/** What one workload may do in Elasticsearch: the role its own user has. */
export interface ElasticsearchGrant {
  /** The workload that logs in as this user, with the Secret `ElasticsearchUsers.credentialsSecretOf(workload)`. */
  workload: string;
  /** Cluster privileges. Default: none. */
  cluster?: string[];
  /** Index privileges, e.g. `{ names: ['events'], privileges: ['read'] }`. */
  indices: { names: string[]; privileges: string[] }[];
}

export interface ElasticsearchUsersProps {
  grants: ElasticsearchGrant[];
  /** Default: Elasticsearch's own image (its sh, curl and sed). */
  image?: string;
}

/** The elasticsearch user in Elastic's image. */
const esUser = 1000;

/** A workload's environment variable prefix in the Job, e.g. search-indexer → SEARCH_INDEXER. */
const variable = (workload: string) => workload.toUpperCase().replaceAll('-', '_');

/**
 * A role and a user per workload, written by a Job through Elasticsearch's security API (no ECK
 * here to do it). The Job is the only pod besides Elasticsearch that reads the `elastic`
 * superuser's Secret; each workload gets a Secret of its own (username, password), created by whoever
 * runs the cluster, whose password the Job sets. The Job is idempotent (PUT creates or updates):
 * after changing a password, delete the Job and apply the chart again.
 */
export class ElasticsearchUsers extends Construct {
  static readonly jobName = 'elasticsearch-users';

  /** The Secret (keys username, password) a workload logs in to Elasticsearch with. */
  static credentialsSecretOf(workload: string): string {
    return `elasticsearch-${workload}-credentials`;
  }

  /** The role a workload's user has. */
  static roleOf(workload: string): string {
    return `eventide-${workload}`;
  }

  constructor(scope: Construct, id: string, props: ElasticsearchUsersProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    const name = ElasticsearchUsers.jobName;
    // In the env rather than the script, where the network policies' test finds the flows of every pod.
    const url = '$ELASTICSEARCH_URL';
    const ca = '/certs/ca.crt';
    const steps = props.grants.map((grant) => {
      const role = JSON.stringify({
        cluster: grant.cluster ?? [],
        indices: grant.indices.map((i) => ({ names: i.names, privileges: i.privileges })),
      });
      const v = variable(grant.workload);
      return `check_username "$${v}_USERNAME"
printf '%s' '${role}' | call PUT "/_security/role/${ElasticsearchUsers.roleOf(grant.workload)}"
printf '{"password":"%s","roles":["${ElasticsearchUsers.roleOf(grant.workload)}"]}' "$(json_escape "$${v}_PASSWORD")" | call PUT "/_security/user/$${v}_USERNAME"
echo "user $${v}_USERNAME: role ${ElasticsearchUsers.roleOf(grant.workload)}"`;
    });
    // Passwords go to curl on stdin, not in its arguments; the elastic password is in -u as the
    // readiness probe has it (visible only inside this container).
    const script = `set -eu
call() {
  code=$(curl -sS --max-time 30 --cacert ${ca} -u "elastic:$ELASTIC_PASSWORD" -H 'Content-Type: application/json' \\
    -X "$1" "${url}$2" --data-binary @- -o /tmp/response -w '%{http_code}')
  case "$code" in 2??) ;; *) echo "$1 $2: HTTP $code: $(cat /tmp/response)" >&2; exit 1 ;; esac
}
json_escape() { printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g'; }
check_username() {
  case "$1" in '' | *[!A-Za-z0-9_.-]*) echo "username '$1' must be letters, digits, '_', '.' or '-'" >&2; exit 1 ;; esac
}
# Elasticsearch starts with this Job: wait until its cluster answers (security index writable at yellow).
tries=0
until curl -fsS --max-time 35 --cacert ${ca} -u "elastic:$ELASTIC_PASSWORD" -o /dev/null \\
  "${url}/_cluster/health?wait_for_status=yellow&timeout=30s"; do
  tries=$((tries + 1))
  [ "$tries" -lt 40 ] || { echo "Elasticsearch did not answer at ${url}" >&2; exit 1; }
  sleep 5
done
${steps.join('\n')}
`;
    const secret = (secretName: string, key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: secretName, key } });
    new k8s.KubeJob(this, 'job', {
      metadata: { name, namespace, labels: labels(name, 'job') },
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels: labels(name, 'job') },
          spec: {
            restartPolicy: 'OnFailure',
            automountServiceAccountToken: false,
            securityContext: restrictedPod(esUser),
            containers: [
              {
                name,
                image: props.image ?? `docker.elastic.co/elasticsearch/elasticsearch:${versions.elasticsearch}`,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', script],
                env: [
                  { name: 'ELASTICSEARCH_URL', value: `https://${Elasticsearch.serviceName}:${Elasticsearch.port}` },
                  { name: 'ELASTIC_PASSWORD', valueFrom: secret(Elasticsearch.credentialsSecret, 'password') },
                  ...props.grants.flatMap((grant) => [
                    {
                      name: `${variable(grant.workload)}_USERNAME`,
                      valueFrom: secret(ElasticsearchUsers.credentialsSecretOf(grant.workload), 'username'),
                    },
                    {
                      name: `${variable(grant.workload)}_PASSWORD`,
                      valueFrom: secret(ElasticsearchUsers.credentialsSecretOf(grant.workload), 'password'),
                    },
                  ]),
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                  limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('64Mi') },
                },
                securityContext: restrictedContainer(esUser),
                volumeMounts: [
                  { name: 'certs', mountPath: '/certs', readOnly: true },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              // The CA alone: the nodes' keystores stay with the nodes.
              { name: 'certs', secret: { secretName: Elasticsearch.certificatesSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
      },
    });
  }
}
