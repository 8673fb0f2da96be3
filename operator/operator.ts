import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import { group, topicNames, version } from './api/crds.ts';
import type { TopicSpec, TopicStatus } from './api/topic.ts';
import type { Config } from './config.ts';
import { type Topic, TopicController } from './controllers/topic.ts';
import { KafkaTopics } from './kafka/topics.ts';
import { CustomResourceWriter } from './kube/custom-resources.ts';
import { ControllerLoop } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { startHealthServer } from './runtime/http.ts';
import { LeaderElector } from './runtime/leader.ts';
import { createLogger, type Logger } from './runtime/log.ts';
import { OperatorMetrics } from './runtime/metrics.ts';
import { keyOf, Watched } from './runtime/watched.ts';

/**
 * The operator process: caches fill as soon as it starts (so a standby takes over warm), but only
 * the replica holding the Lease runs the controllers.
 */
export class Operator {
  readonly metrics = new OperatorMetrics();
  readonly log: Logger;
  private readonly config: Config;
  private readonly kc: KubeConfig;
  private readonly kafka: KafkaTopics;
  private readonly topics: Watched<Topic>;
  private readonly leader: LeaderElector;
  private readonly loops: ControllerLoop[] = [];
  private http: { port: number; close: () => Promise<void> } | undefined;
  private synced = false;
  /** Called when leadership is lost; the process should exit and start clean. */
  onLostLeadership: () => void = () => {};

  constructor(config: Config, kc?: KubeConfig) {
    this.config = config;
    this.log = createLogger(config.LOG_LEVEL);
    this.kc = kc ?? new KubeConfig();
    if (!kc) this.kc.loadFromDefault();
    this.kafka = new KafkaTopics(config.KAFKA_BROKERS);
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const plural = topicNames.plural;
    this.topics = new Watched<Topic>(
      this.kc,
      {
        clusterPath: `/apis/${group}/${version}/${plural}`,
        namespacedPath: (ns) => `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
        listCluster: () => custom.listClusterCustomObject({ group, version, plural }) as Promise<KubernetesListObject<Topic>>,
        listNamespaced: (namespace) =>
          custom.listNamespacedCustomObject({ group, version, namespace, plural }) as Promise<KubernetesListObject<Topic>>,
        namespaces: config.WATCH_NAMESPACES,
      },
      this.log.child({ resource: plural }),
    );
    const topicController = new TopicController({
      topics: this.topics,
      kafka: this.kafka,
      writer: new CustomResourceWriter<TopicSpec, TopicStatus>(custom, plural),
      events: new EventRecorder(this.kc.makeApiClient(CoreV1Api), this.log),
      metrics: this.metrics,
    });
    const topicLoop = new ControllerLoop(topicController, this.metrics, this.log, config.RESYNC_SECONDS * 1000);
    this.topics.onChange((topic) => topicLoop.enqueue(keyOf(topic)));
    this.loops.push(topicLoop);

    this.leader = new LeaderElector(
      this.kc.makeApiClient(CoordinationV1Api),
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
    this.http = await startHealthServer({ port: this.config.PORT, registry: this.metrics.registry, ready: () => this.synced });
    await this.topics.start();
    this.synced = true;
    this.log.info(
      { namespaces: this.config.WATCH_NAMESPACES.length ? this.config.WATCH_NAMESPACES : 'all', port: this.http.port },
      'caches synced; waiting for the lease',
    );
    this.leader.start();
  }

  /** Graceful: no new work, finish the reconcile in flight, hand the lease over, close. */
  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
    await this.leader.release();
    await this.topics.stop();
    await this.kafka.close();
    await this.http?.close();
    this.log.info('stopped');
  }
}
