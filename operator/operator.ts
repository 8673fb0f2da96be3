import {
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
  type V1StatefulSet,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { Health, startHealthServer } from '../lib/health.ts';
import { kafkaSecurity } from '../lib/kafka.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { Watched } from '../lib/watched.ts';
import type { ConsumerGroup, ConsumerGroupSpec, ConsumerGroupStatus } from './api/consumer-group.ts';
import { consumerGroupNames, group, topicNames, version } from './api/crds.ts';
import type { Topic, TopicSpec, TopicStatus } from './api/topic.ts';
import { type Config, program } from './config.ts';
import { ConsumerGroupController } from './controllers/consumer-group.ts';
import { TopicController } from './controllers/topic.ts';
import { KafkaLag } from './kafka/lag.ts';
import { KafkaTopics } from './kafka/topics.ts';
import { KubeClients, resourceOf } from './kube/client.ts';
import { CustomResourceWriter } from './kube/custom-resources.ts';
import { ScaleTargets } from './kube/scale-target.ts';
import { ControllerLoop } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { LeaderElector } from './runtime/leader.ts';
import { OperatorMetrics } from './runtime/metrics.ts';

/**
 * The operator process: caches fill as soon as it starts (so a standby takes over warm), but only
 * the replica holding the Lease runs the controllers.
 */
export class Operator {
  readonly metrics = new OperatorMetrics();
  /** Ready: able to do its job once its caches are filled; a standby waiting for the lease is ready too. */
  readonly health = new Health().ready('caches', () => ({ ok: this.synced, detail: 'caches not synced yet' }));
  readonly log: Logger;
  private readonly config: Config;
  private readonly kc: KubeConfig;
  private readonly kafka: KafkaTopics;
  private readonly topics: Watched<Topic>;
  private readonly groups: Watched<ConsumerGroup>;
  private readonly caches: Watched<KubernetesObject>[] = [];
  private readonly lag: KafkaLag;
  private readonly leader: LeaderElector;
  private readonly loops: ControllerLoop[] = [];
  private http: { port: number; close: () => Promise<void> } | undefined;
  private synced = false;
  private stopping = false;
  /** Called when leadership is lost; the process should exit and start clean. */
  onLostLeadership: () => void = () => {};

  constructor(config: Config, kc?: KubeConfig, log?: Logger) {
    this.config = config;
    this.log = log ?? createLogger(program, config.LOG_LEVEL);
    this.kc = kc ?? new KubeConfig();
    if (!kc) this.kc.loadFromDefault();
    const batch = { lingerMs: config.KAFKA_BATCH_LINGER_MS, maxBatch: config.KAFKA_BATCH_SIZE };
    const countKafka = (client: string) => (api: string) => this.metrics.kafkaRequests.inc({ client, api });
    this.kafka = new KafkaTopics(config.KAFKA_BROKERS, {
      security: kafkaSecurity(config),
      onRequest: countKafka('topics'),
      batch,
    });
    const clients = new KubeClients(this.kc, {
      qps: config.KUBE_API_QPS,
      burst: config.KUBE_API_BURST,
      onResponse: (method, url, status) => this.metrics.kubeRequests.inc({ method, resource: resourceOf(url), code: String(status) }),
    });
    // One cache per kind the controllers read: our resources, and the workloads and HPAs a
    // ConsumerGroup looks at on each poll (so a poll makes no API request).
    const watch = <T extends KubernetesObject>(
      apiPath: string,
      plural: string,
      listCluster: () => Promise<KubernetesListObject<T>>,
      listNamespaced: (namespace: string) => Promise<KubernetesListObject<T>>,
    ) => {
      const watched = new Watched<T>(
        this.kc,
        {
          clusterPath: `${apiPath}/${plural}`,
          namespacedPath: (ns) => `${apiPath}/namespaces/${ns}/${plural}`,
          listCluster,
          listNamespaced,
          namespaces: config.WATCH_NAMESPACES,
        },
        this.log.child({ resource: plural }),
      );
      this.caches.push(watched);
      return watched;
    };
    const custom = clients.make(CustomObjectsApi);
    const watchOurs = <T extends Topic | ConsumerGroup>(plural: string) =>
      watch<T>(
        `/apis/${group}/${version}`,
        plural,
        () => custom.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<T>>,
        (namespace) => custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<KubernetesListObject<T>>,
      );
    const apps = clients.make(AppsV1Api);
    const autoscaling = clients.make(AutoscalingV2Api);
    const deployments = watch<V1Deployment>(
      '/apis/apps/v1',
      'deployments',
      () => apps.listDeploymentForAllNamespaces(),
      (namespace) => apps.listNamespacedDeployment({ namespace }),
    );
    const statefulSets = watch<V1StatefulSet>(
      '/apis/apps/v1',
      'statefulsets',
      () => apps.listStatefulSetForAllNamespaces(),
      (namespace) => apps.listNamespacedStatefulSet({ namespace }),
    );
    const autoscalers = watch<V2HorizontalPodAutoscaler>(
      '/apis/autoscaling/v2',
      'horizontalpodautoscalers',
      () => autoscaling.listHorizontalPodAutoscalerForAllNamespaces(),
      (namespace) => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }),
    );
    const events = new EventRecorder(clients.make(CoreV1Api), this.log);
    const resyncMs = config.RESYNC_SECONDS * 1000;

    this.topics = watchOurs<Topic>(topicNames.plural);
    const topicLoop = new ControllerLoop(
      new TopicController({
        topics: this.topics,
        kafka: this.kafka,
        writer: new CustomResourceWriter<TopicSpec, TopicStatus>(custom, topicNames.plural),
        events,
        metrics: this.metrics,
      }),
      this.metrics,
      this.log,
      resyncMs,
      config.TOPIC_WORKERS,
    );
    this.topics.onSpecChange((key) => topicLoop.enqueue(key));
    this.loops.push(topicLoop);

    this.groups = watchOurs<ConsumerGroup>(consumerGroupNames.plural);
    this.lag = new KafkaLag(config.KAFKA_BROKERS, { security: kafkaSecurity(config), onRequest: countKafka('lag'), batch });
    const groupLoop = new ControllerLoop(
      new ConsumerGroupController({
        groups: this.groups,
        lag: this.lag,
        targets: new ScaleTargets(apps, { deployments, statefulSets }, autoscalers),
        writer: new CustomResourceWriter<ConsumerGroupSpec, ConsumerGroupStatus>(custom, consumerGroupNames.plural),
        events,
        metrics: this.metrics,
      }),
      this.metrics,
      this.log,
      resyncMs,
      config.CONSUMER_GROUP_WORKERS,
    );
    // Polls drive scaling; our own status writes must not wake the group again (that would poll
    // Kafka in a loop).
    this.groups.onSpecChange((key) => groupLoop.enqueue(key));
    this.loops.push(groupLoop);

    // The lease has clients of its own, outside the controllers' rate limit: renewals must not
    // queue behind the status writes of thousands of resources.
    this.leader = new LeaderElector(
      new KubeClients(this.kc, { qps: 10, burst: 10, retries: 0 }).make(CoordinationV1Api),
      {
        namespace: config.LEASE_NAMESPACE,
        name: config.LEASE_NAME,
        identity: config.POD_NAME,
        leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
      },
      this.log,
    );
    this.leader.onStartedLeading = () => {
      this.metrics.leader.set(1);
      for (const loop of this.loops) loop.start();
    };
    this.leader.onStoppedLeading = () => {
      this.metrics.leader.set(0);
      void Promise.all(this.loops.map((loop) => loop.stop())).then(() => this.onLostLeadership());
    };
  }

  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  get port(): number | undefined {
    return this.http?.port;
  }

  async start(): Promise<void> {
    this.http = await startHealthServer({ port: this.config.PORT, health: this.health, registry: this.metrics.registry });
    await Promise.all(this.caches.map((cache) => cache.start()));
    // Stopped while the caches filled: it must not go on to take the lease.
    if (this.stopping) return;
    this.synced = true;
    this.log.info(
      { namespaces: this.config.WATCH_NAMESPACES.length ? this.config.WATCH_NAMESPACES : 'all', port: this.http.port },
      'caches synced; waiting for the lease',
    );
    this.leader.start();
  }

  /** Graceful: no new work, finish the reconcile in flight, hand the lease over, close. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops.map((loop) => loop.stop()));
    await this.leader.release();
    await Promise.all(this.caches.map((cache) => cache.stop()));
    await Promise.all([this.kafka.close(), this.lag.close()]);
    await this.http?.close();
    this.log.info('stopped');
  }
}
