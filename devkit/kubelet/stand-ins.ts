/**
 * What local mode puts where a cluster runs infrastructure: the local PostgreSQL and Elasticsearch
 * answer for the chart's StatefulSet Pods, the local Jaeger for its Deployment, the local Kafka for the Strimzi `Kafka` resource, and
 * a tiny provisioner binds the StatefulSets' volume claims as kind's local-path provisioner would.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import pg from 'pg';
import { databasePasswordVariable } from '../../cdk8s/postgres.ts';
import { kafkaClient } from '../../lib/kafka.ts';

/** A workload of the chart that a local server answers for. */
export interface StandIn {
  /** The Pods' `app.kubernetes.io/name` label. */
  app: string;
  /** For messages: what answers instead, e.g. "local PostgreSQL 127.0.0.1:5433". */
  describe: string;
  /** Whether the local server answers now (a paused or stopped server does not). */
  ready(): Promise<boolean>;
  /** Done once per Pod with its resolved env before it may report Ready (the image's entrypoint work). */
  prepare?(env: Record<string, string>): Promise<void>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** PostgreSQL: the postgres image creates POSTGRES_USER and POSTGRES_DB on first start, and the chart's init script the services' databases; so does this. */
export function postgresStandIn(superuserUrl: string, describe: string): StandIn {
  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: superuserUrl, connectionTimeoutMillis: 2_000, query_timeout: 5_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  return {
    app: 'postgres',
    describe,
    ready: () => withClient(async (c) => (await c.query('select 1')).rowCount === 1).catch(() => false),
    prepare: (env) =>
      withClient(async (c) => {
        const user = env.POSTGRES_USER ?? 'postgres';
        const database = env.POSTGRES_DB ?? user;
        const password = env.POSTGRES_PASSWORD;
        const ensure = async (role: string, name: string, secret: string | undefined) => {
          const exists = await c.query('select 1 from pg_roles where rolname = $1', [role]);
          await c.query(
            `${exists.rowCount ? 'alter' : 'create'} role ${quoteIdent(role)} with login${secret ? ` password ${quoteLiteral(secret)}` : ''}`,
          );
          const db = await c.query('select 1 from pg_database where datname = $1', [name]);
          if (!db.rowCount) await c.query(`create database ${quoteIdent(name)} owner ${quoteIdent(role)}`);
        };
        await ensure(user, database, password);
        // The services' own databases, as the chart's init script (cdk8s/postgres.ts) creates them,
        // each open to its own role alone: PostgreSQL grants CONNECT on a new database to PUBLIC.
        // Unlike the script (which owns its server) only the databases the chart names: a local
        // server may be shared (EVENTIDE_DATABASE_URL).
        const services = (env.EVENTIDE_DATABASES ?? '').split(',').filter(Boolean);
        for (const name of services) await ensure(name, name, env[databasePasswordVariable(name)]);
        for (const name of [database, ...services]) await c.query(`revoke all on database ${quoteIdent(name)} from public`);
      }),
  };
}

/** Elasticsearch: Ready as the chart's readiness probe sees it, from the cluster health. */
export function elasticsearchStandIn(url: string, describe: string): StandIn {
  return {
    app: 'elasticsearch',
    describe,
    ready: async () => {
      const response = await fetch(`${url}/_cluster/health?local=true`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
      if (!response?.ok) return false;
      const health = (await response.json()) as { status?: string };
      return health.status === 'green' || health.status === 'yellow';
    },
  };
}

/** Jaeger: Ready once its query API answers (the chart's probe asks its health endpoint). */
export function jaegerStandIn(url: string, describe: string): StandIn {
  return {
    app: 'jaeger',
    describe,
    ready: () =>
      fetch(`${url}/api/services`, { signal: AbortSignal.timeout(3_000) })
        .then((r) => r.ok)
        .catch(() => false),
  };
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Writes the Strimzi `Kafka` resources' Ready condition from the local broker, as Strimzi's
 * cluster operator would from its pods, so `kubectl wait kafka/… --for=condition=Ready` works.
 */
export class KafkaStatusWriter {
  private readonly custom: CustomObjectsApi;
  private readonly admin;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly written = new Map<string, string>();

  private readonly brokers: string;
  private readonly everyMs: number;

  constructor(kc: KubeConfig, brokers: string, everyMs = 2_000) {
    this.brokers = brokers;
    this.everyMs = everyMs;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.admin = kafkaClient({ clientId: 'local-node-agent', brokers: [brokers] }).admin();
  }

  start(): void {
    const tick = async () => {
      await this.sync().catch(() => undefined);
      this.timer = setTimeout(tick, this.everyMs);
    };
    void tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    if (this.connected) await this.admin.disconnect().catch(() => undefined);
  }

  private async brokerAnswers(): Promise<boolean> {
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      const cluster = await Promise.race([
        this.admin.describeCluster(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3_000)),
      ]);
      return cluster.brokers.length > 0;
    } catch {
      return false;
    }
  }

  private async sync(): Promise<void> {
    const list = (await this.custom.listClusterCustomObject({ group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkas' })) as {
      items: { metadata: { name: string; namespace: string; generation?: number } }[];
    };
    if (list.items.length === 0) return;
    const up = await this.brokerAnswers();
    for (const kafka of list.items) {
      const { name, namespace, generation } = kafka.metadata;
      const key = `${namespace}/${name}`;
      const wanted = `${up}/${generation}`;
      if (this.written.get(key) === wanted) continue;
      const status = {
        observedGeneration: generation,
        conditions: [
          {
            type: 'Ready',
            status: up ? 'True' : 'False',
            reason: up ? 'LocalBroker' : 'LocalBrokerUnreachable',
            message: up ? `the local Kafka at ${this.brokers} answers` : `the local Kafka at ${this.brokers} does not answer`,
            lastTransitionTime: new Date().toISOString(),
          },
        ],
        listeners: [{ name: 'plain', bootstrapServers: `${name}-kafka-bootstrap.${namespace}.svc:9092` }],
      };
      await this.custom.patchNamespacedCustomObjectStatus(
        { group: 'kafka.strimzi.io', version: 'v1', plural: 'kafkas', namespace, name, body: { status } },
        mergePatch,
      );
      this.written.set(key, wanted);
    }
  }
}

/** Binds each unbound claim to a new hostPath volume under `dir`, as kind's local-path provisioner does. */
export async function bindPendingClaims(kc: KubeConfig, dir: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const claims = await core.listPersistentVolumeClaimForAllNamespaces();
  for (const claim of claims.items) {
    const { name = '', namespace = '', uid } = claim.metadata ?? {};
    if (claim.status?.phase !== 'Pending' || claim.spec?.volumeName) continue;
    const pvName = `local-${namespace}-${name}`;
    const path = join(dir, pvName);
    mkdirSync(path, { recursive: true });
    await core
      .createPersistentVolume({
        body: {
          metadata: { name: pvName, labels: { 'eventide.dev/local-volume': 'true' } },
          spec: {
            capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
            accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: claim.spec?.storageClassName ?? '',
            hostPath: { path },
            claimRef: { namespace, name, uid },
          },
        },
      })
      .catch((error: { code?: number }) => {
        if (error.code !== 409) throw error;
      });
  }
}
