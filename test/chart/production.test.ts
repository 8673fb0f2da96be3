/** What the production profile promises an operator about Elasticsearch and kafka-ui, read from a fresh synth. */
import { describe, expect, it } from 'vitest';
import { kind, production } from '../../cdk8s/profile.ts';
import { type KubeObject, parseObjects, synthFiles } from './synth.ts';

interface Container {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { exec?: { command: string[] }; tcpSocket?: unknown; httpGet?: unknown };
  resources?: { limits?: { memory?: string } };
}
const podSpec = (o: KubeObject) =>
  (o.spec as { template: { spec: { containers: Container[]; initContainers?: Container[] } } }).template.spec;
const objects = (profile: typeof kind) => [...synthFiles(profile).values()].flatMap(parseObjects);
const find = (list: KubeObject[], kind: string, name: string) => {
  const found = list.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('production Elasticsearch', () => {
  const list = objects(production);
  const es = find(list, 'StatefulSet', 'elasticsearch');
  const container = podSpec(es).containers[0] as Container;
  const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));

  it('is ready from the cluster health over HTTPS, not from an open socket', () => {
    expect(container.readinessProbe?.tcpSocket).toBeUndefined();
    expect(container.readinessProbe?.exec?.command.join(' ')).toMatch(
      /https:\/\/127\.0\.0\.1:9200\/_cluster\/health.*"status":"\(green\|yellow\)"/,
    );
    expect(env.get('xpack.security.http.ssl.enabled')).toBe('true');
  });

  it('keeps mmap on (vm.max_map_count is the operator’s) and bootstraps the cluster only from empty volumes', () => {
    expect(env.has('node.store.allow_mmap')).toBe(false);
    expect(env.has('cluster.initial_master_nodes')).toBe(false);
    const init = podSpec(es).initContainers?.find((c) => c.name === 'config');
    expect(init?.command?.join(' ')).toMatch(
      /if \[ ! -d \/data\/_state \].*cluster\.initial_master_nodes: elasticsearch-0,elasticsearch-1,elasticsearch-2/,
    );
  });

  it('gives each search workload a user of its own, and the elastic superuser to no workload', () => {
    const refs = (name: string) =>
      Object.fromEntries(
        (podSpec(find(list, 'Deployment', name)).containers[0]?.env ?? [])
          .filter((e) => e.name.startsWith('ELASTICSEARCH_'))
          .map((e) => [e.name, e.valueFrom?.secretKeyRef?.name]),
      );
    expect(refs('search-indexer')).toEqual({
      ELASTICSEARCH_USERNAME: 'elasticsearch-search-indexer-credentials',
      ELASTICSEARCH_PASSWORD: 'elasticsearch-search-indexer-credentials',
      ELASTICSEARCH_CA: 'elasticsearch-certs',
    });
    expect(refs('search-api')).toEqual({
      ELASTICSEARCH_USERNAME: 'elasticsearch-search-api-credentials',
      ELASTICSEARCH_PASSWORD: 'elasticsearch-search-api-credentials',
      ELASTICSEARCH_CA: 'elasticsearch-certs',
    });
    const readers = list
      .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
      .filter((o) => JSON.stringify(o.spec).includes('"name":"elasticsearch-credentials"'))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(readers.sort()).toEqual(['Job/elasticsearch-users', 'StatefulSet/elasticsearch']);
  });

  it('has the users Job give the indexer write and manage on events-* and the alias, the search API read on the alias', () => {
    const script = podSpec(find(list, 'Job', 'elasticsearch-users')).containers[0]?.command?.join(' ') ?? '';
    const roles = Object.fromEntries(
      [...script.matchAll(/printf '%s' '(\{.*?\})' \| call PUT "\/_security\/role\/([\w-]+)"/g)].map((m) => [m[2], JSON.parse(m[1] ?? '')]),
    );
    expect(roles).toEqual({
      'eventide-search-indexer': {
        cluster: [],
        indices: [{ names: ['events-*', 'events'], privileges: ['create_index', 'write', 'manage'] }],
      },
      // monitor: the root endpoint its readiness pings is cluster:monitor/main.
      'eventide-search-api': { cluster: ['monitor'], indices: [{ names: ['events'], privileges: ['read'] }] },
    });
  });

  it('gives the search services an HTTPS URL and the CA to check it with', () => {
    const config = find(list, 'ConfigMap', 'search-indexer') as KubeObject & { data: Record<string, string> };
    expect(config.data.ELASTICSEARCH_URL).toBe('https://elasticsearch:9200');
    const indexer = podSpec(find(list, 'Deployment', 'search-indexer')).containers[0] as Container;
    expect(indexer.env?.find((e) => e.name === 'ELASTICSEARCH_CA')?.valueFrom?.secretKeyRef).toEqual({
      name: 'elasticsearch-certs',
      key: 'ca.crt',
    });
  });
});

describe('production Kafka', () => {
  const list = objects(production);
  const users = new Map(
    list
      .filter((o) => o.kind === 'KafkaUser')
      .map((o) => [
        o.metadata.name,
        (o.spec as { authorization: { acls: { resource: { type: string; name?: string }; operations: string[] }[] } }).authorization.acls,
      ]),
  );
  const acl = (user: string) => (users.get(user) ?? []).map((a) => `${a.resource.type}:${a.resource.name ?? ''} ${a.operations.join(',')}`);

  it('takes clients over TLS with SCRAM-SHA-512 only, with authorization on', () => {
    const kafka = find(list, 'Kafka', 'eventide').spec as {
      kafka: { listeners: Record<string, unknown>[]; authorization?: { type: string } };
    };
    expect(kafka.kafka.listeners).toEqual([
      expect.objectContaining({ name: 'tls', port: 9093, tls: true, authentication: { type: 'scram-sha-512' } }),
    ]);
    expect(kafka.kafka.authorization).toEqual({ type: 'simple' });
  });

  it('gives each workload its own user with the least ACLs', () => {
    expect([...users.keys()].sort()).toEqual([
      'activation-deliverer',
      'catalog',
      'eventide-operator',
      'identity',
      'ledger',
      'payments',
      'search-indexer',
      'teachers',
    ]);
    expect(acl('ledger')).toEqual([
      'topic:ledger.events Write,Describe',
      'topic:ledger.dlq Write,Describe',
      'topic:payments.events Read,Describe',
      'group:ledger Read',
    ]);
    expect(acl('teachers')).toEqual(['topic:teachers.events Write,Describe']);
    expect(acl('identity')).toEqual([
      'topic:identity.events Write,Describe',
      'topic:identity.dlq Write,Describe',
      'topic:teachers.events Read,Describe',
      'group:identity Read',
    ]);
    expect(acl('catalog')).toEqual(['topic:catalog.events Write,Describe']);
    expect(acl('search-indexer')).toEqual([
      'topic:search-indexer.dlq Write,Describe',
      'topic:catalog.events Read,Describe',
      'group:search-indexer Read',
    ]);
    // The deliverer (not in this repository) reads the activation requests, and nothing else.
    expect(acl('activation-deliverer')).toEqual(['topic:identity.events Read,Describe', 'group:activation-deliverer Read']);
    expect(acl('eventide-operator')).toEqual([
      'topic:* Create,Describe,DescribeConfigs,Alter,AlterConfigs,Delete',
      'group:* Describe',
      'cluster: Describe',
    ]);
  });

  it("connects the workloads with their user's Secret and the cluster CA", () => {
    const indexer = podSpec(find(list, 'Deployment', 'search-indexer')).containers[0] as Container;
    const refs = Object.fromEntries((indexer.env ?? []).filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(refs).toMatchObject({
      KAFKA_SASL_PASSWORD: { name: 'search-indexer', key: 'password' },
      KAFKA_CA: { name: 'eventide-cluster-ca-cert', key: 'ca.crt' },
    });
    const config = find(list, 'ConfigMap', 'search-indexer') as KubeObject & { data: Record<string, string> };
    expect(config.data).toMatchObject({
      KAFKA_BROKERS: 'eventide-kafka-bootstrap.eventide.svc:9093',
      KAFKA_SASL_USERNAME: 'search-indexer',
    });
  });
});

describe('the console with authentication on (production values with console: true)', () => {
  const list = objects({ ...production, console: true });
  const user = find(list, 'KafkaUser', 'console').spec as {
    authorization: { acls: { resource: { type: string; name?: string; patternType?: string }; operations: string[] }[] };
  };
  const acls = user.authorization.acls.map(
    (a) => `${a.resource.type}:${a.resource.name ?? ''}:${a.resource.patternType} ${a.operations.join(',')}`,
  );

  it('describes topics and groups; reads the dead-letter topics and the consumed ones, writes only where dead letters came from; never identity.events', () => {
    expect(acls).toEqual([
      'topic:*:literal Describe',
      'group:*:literal Describe',
      'topic:search-indexer.dlq:literal Read,Describe',
      'topic:identity.dlq:literal Read,Describe',
      'topic:payments.dlq:literal Read,Describe',
      'topic:ledger.dlq:literal Read,Describe',
      'topic:catalog.events:literal Read,Write,Describe',
      'topic:teachers.events:literal Read,Write,Describe',
      'topic:ledger.events:literal Read,Write,Describe',
      'topic:payments.events:literal Read,Write,Describe',
      'group:eventide-dlq-redrive-:prefix Read,Describe,Delete',
    ]);
  });

  it('watches Topics and ConsumerGroups of its namespace and may do nothing else on the API server', () => {
    const role = find(list, 'Role', 'console') as KubeObject & { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: ['eventide.dev'], resources: ['topics', 'consumergroups'], verbs: ['get', 'list', 'watch'] }]);
    expect(list.filter((o) => o.kind === 'ClusterRoleBinding' && JSON.stringify(o).includes('"name":"console"'))).toEqual([]);
  });
});

describe('production PostgreSQL', () => {
  const list = objects(production);

  it('gives every service a role and database of its own; the superuser is the server’s alone', () => {
    const services = ['catalog', 'teachers', 'identity', 'payments', 'ledger'];
    for (const name of services) {
      const config = find(list, 'ConfigMap', name) as KubeObject & { data: Record<string, string> };
      expect(config.data.PGDATABASE, name).toBe(name);
      const env = podSpec(find(list, 'Deployment', name)).containers[0]?.env ?? [];
      expect(env.find((e) => e.name === 'PGUSER')?.valueFrom?.secretKeyRef, name).toEqual({
        name: `postgres-${name}-credentials`,
        key: 'username',
      });
      expect(env.find((e) => e.name === 'PGPASSWORD')?.valueFrom?.secretKeyRef, name).toEqual({
        name: `postgres-${name}-credentials`,
        key: 'password',
      });
    }
    const postgres = podSpec(find(list, 'StatefulSet', 'postgres')).containers[0]?.env ?? [];
    expect(postgres.find((e) => e.name === 'EVENTIDE_DATABASES')?.value?.split(',')).toEqual(services);
    const superuser = list
      .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
      .filter((o) => JSON.stringify(o.spec).includes('"name":"postgres-credentials"'))
      .map((o) => o.metadata.name);
    expect(superuser).toEqual(['postgres']);
  });
});

describe('kind', () => {
  it("turns mmap off, so a laptop's kind node needs no sysctl", () => {
    const es = find(objects(kind), 'StatefulSet', 'elasticsearch');
    expect((podSpec(es).containers[0] as Container).env?.find((e) => e.name === 'node.store.allow_mmap')?.value).toBe('false');
  });

  it("leaves kafka-ui's JVM room inside its memory limit", () => {
    const ui = podSpec(find(objects(kind), 'Deployment', 'kafka-ui')).containers[0] as Container;
    expect(ui.env?.find((e) => e.name === 'JAVA_OPTS')?.value).toMatch(/MaxRAMPercentage=50/);
    expect(ui.resources?.limits?.memory).toBe('640Mi');
  });
});
