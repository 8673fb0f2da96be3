import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../lib/log.ts';
import { topicNames } from '../api/crds.ts';
import type { ObservedTopic } from '../api/kafka.ts';
import type { Topic, TopicSpec, TopicStatus } from '../api/topic.ts';
import { type KafkaTopics, kafkaMessage } from '../kafka/topics.ts';
import type { CustomResourceWriter } from '../kube/custom-resources.ts';
import type { Condition } from '../runtime/conditions.ts';
import { setCondition } from '../runtime/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { type EventRecorder, refTo } from '../runtime/events.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { keyOf, splitKey, type Watched } from '../runtime/watched.ts';
import { kafkaTopicName, managedAnnotation, TopicClaims } from './topic-claims.ts';
import { desiredConfig, owner, planTopic, type TopicAction } from './topic-plan.ts';

export const topicFinalizer = 'eventide.dev/delete-kafka-topic';
export const pausedAnnotation = 'eventide.dev/paused';

export interface TopicControllerDeps {
  topics: Watched<Topic>;
  kafka: KafkaTopics;
  writer: CustomResourceWriter<TopicSpec, TopicStatus>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  now?: () => Date;
}

function describeAction(action: TopicAction): { reason: string; message: string } {
  switch (action.kind) {
    case 'create':
      return {
        reason: 'TopicCreated',
        message: `created with ${action.partitions} partitions, replication factor ${action.replicationFactor}`,
      };
    case 'addPartitions':
      return { reason: 'PartitionsAdded', message: `partitions ${action.from} → ${action.to}` };
    case 'setConfig':
      return { reason: 'ConfigUpdated', message: `config keys changed: ${action.changed.join(', ')}` };
  }
}

/** Makes Kafka match each Topic resource; see ARCHITECTURE.md, "Custom resources". */
export class TopicController implements Reconciler {
  readonly name = 'topic';
  private readonly deps: TopicControllerDeps;
  private readonly now: () => Date;
  /** Key → `uid/generation/reason` of the last refusal recorded as an Event. */
  private readonly refusalsTold = new Map<string, string>();
  private readonly claims = new TopicClaims();

  constructor(deps: TopicControllerDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    deps.topics.onChange((topic, deleted) => this.claims.observe(topic, deleted));
  }

  keys(): string[] {
    return this.deps.topics.list().map(keyOf);
  }

  async reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitKey(key);
    const topic = this.deps.topics.get(namespace, name);
    if (!topic) {
      this.deps.metrics.topicReady.remove({ namespace, name });
      this.refusalsTold.delete(key);
      return undefined;
    }
    const annotations = topic.metadata.annotations ?? {};
    const topicName = kafkaTopicName(topic);
    const finalizers = topic.metadata.finalizers ?? [];
    const hasFinalizer = finalizers.includes(topicFinalizer);

    if (annotations[pausedAnnotation] === 'true') {
      await this.writeStatus(topic, {
        type: 'ReconciliationPaused',
        status: 'True',
        reason: 'ReconciliationPaused',
        message: `${pausedAnnotation} is "true": the operator changes nothing in Kafka for this Topic`,
      });
      return undefined;
    }

    if (annotations[managedAnnotation] === 'false') {
      if (hasFinalizer)
        await this.deps.writer.setFinalizers(
          topic,
          finalizers.filter((f) => f !== topicFinalizer),
        );
      if (topic.metadata.deletionTimestamp) return undefined;
      await this.writeStatus(topic, {
        type: 'Ready',
        status: 'True',
        reason: 'Unmanaged',
        message: `${managedAnnotation} is "false": Kafka topic ${topicName} is left as it is, and deleting this resource never deletes it`,
      });
      return undefined;
    }

    if (topic.metadata.deletionTimestamp) {
      if (!hasFinalizer) return undefined;
      if (topic.spec.deletionPolicy === 'Delete' && this.ownsTopic(topic)) {
        await this.deps.kafka.delete(topicName);
        log.info({ topic: topicName }, 'deleted the Kafka topic');
        await this.deps.events.record(
          refTo(topicNames.kind, topic),
          'Normal',
          'TopicDeleted',
          `deleted Kafka topic ${topicName} (deletionPolicy: Delete)`,
        );
      }
      await this.deps.writer.setFinalizers(
        topic,
        finalizers.filter((f) => f !== topicFinalizer),
      );
      return undefined;
    }

    // The finalizer exists only where deletion has work to do, so a namespace with Retain topics
    // never hangs on a missing operator.
    const wantFinalizer = topic.spec.deletionPolicy === 'Delete';
    if (wantFinalizer && !hasFinalizer) await this.deps.writer.setFinalizers(topic, [...finalizers, topicFinalizer]);
    if (!wantFinalizer && hasFinalizer)
      await this.deps.writer.setFinalizers(
        topic,
        finalizers.filter((f) => f !== topicFinalizer),
      );

    if (!this.ownsTopic(topic)) {
      const winner = this.claimsOn(topicName).find((t) => this.ownsTopic(t));
      await this.writeStatus(topic, {
        type: 'Ready',
        status: 'False',
        reason: 'TopicNameConflict',
        message: `Kafka topic ${topicName} is already managed by Topic ${winner ? keyOf(winner) : 'another resource'}, which is older; this one changes nothing`,
      });
      return undefined;
    }

    let observed: ObservedTopic | undefined;
    try {
      observed = await this.deps.kafka.describe(topicName);
    } catch (error) {
      await this.writeStatus(topic, {
        type: 'Ready',
        status: 'False',
        reason: 'KafkaUnavailable',
        message: `cannot read topic ${topicName} from Kafka: ${kafkaMessage(error)}`,
      });
      throw error;
    }
    const desired = {
      partitions: topic.spec.partitions,
      replicationFactor: topic.spec.replicationFactor,
      config: desiredConfig(topic.spec.config),
    };
    const plan = planTopic(desired, observed);
    if (plan.blocked) {
      const { reason, message } = plan.blocked;
      const generation = topic.metadata.generation;
      const told = `${topic.metadata.uid}/${generation}/${reason}`;
      const before = (topic.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
      // One Warning per generation, not per resync: the stored condition remembers it across
      // restarts and leader changes, the memo until the cache shows our own status write.
      const alreadyTold = this.refusalsTold.get(key) === told || (before?.reason === reason && before.observedGeneration === generation);
      await this.writeStatus(topic, { type: 'Ready', status: 'False', reason, message }, observed);
      if (!alreadyTold) await this.deps.events.record(refTo(topicNames.kind, topic), 'Warning', reason, message);
      this.refusalsTold.set(key, told);
      return undefined;
    }
    for (const action of plan.actions) {
      const what = describeAction(action);
      try {
        if (action.kind === 'create') await this.deps.kafka.create(topicName, action.partitions, action.replicationFactor, action.config);
        if (action.kind === 'addPartitions') await this.deps.kafka.addPartitions(topicName, action.to);
        if (action.kind === 'setConfig') await this.deps.kafka.setConfig(topicName, action.config);
      } catch (error) {
        const message = `Kafka refused to ${action.kind === 'create' ? 'create' : 'update'} topic ${topicName} (${what.message}): ${kafkaMessage(error)}`;
        const reason = /config/i.test(kafkaMessage(error)) ? 'InvalidConfig' : 'KafkaError';
        await this.writeStatus(topic, { type: 'Ready', status: 'False', reason, message }, observed);
        await this.deps.events.record(refTo(topicNames.kind, topic), 'Warning', reason, message);
        throw error;
      }
      log.info({ topic: topicName, action: action.kind }, what.message);
      await this.deps.events.record(refTo(topicNames.kind, topic), 'Normal', what.reason, `Kafka topic ${topicName}: ${what.message}`);
    }
    const overrides = Object.keys(desired.config).length;
    await this.writeStatus(
      topic,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Reconciled',
        message: `Kafka topic ${topicName} has ${desired.partitions} partitions, replication factor ${desired.replicationFactor}, ${overrides} config override${overrides === 1 ? '' : 's'}`,
      },
      { name: topicName, partitions: desired.partitions, replicationFactor: desired.replicationFactor, config: desired.config },
    );
    return undefined;
  }

  private claimsOn(topicName: string): Topic[] {
    return this.claims.on(topicName);
  }

  private ownsTopic(topic: Topic): boolean {
    const claims = this.claimsOn(kafkaTopicName(topic)).map((t) => ({
      topic: t,
      namespace: t.metadata.namespace,
      name: t.metadata.name,
      creationTimestamp: new Date(t.metadata.creationTimestamp ?? 0).toISOString(),
    }));
    return owner(claims)?.topic.metadata.uid === topic.metadata.uid;
  }

  /** Writes status only when it changes, so a converged Topic costs no API writes. */
  private async writeStatus(
    topic: Topic,
    condition: Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>,
    observed?: ObservedTopic,
  ): Promise<void> {
    const generation = topic.metadata.generation;
    const previous = topic.status ?? {};
    let conditions = setCondition(
      previous.conditions as Condition[] | undefined,
      { ...condition, observedGeneration: generation },
      this.now(),
    );
    if (condition.type !== 'ReconciliationPaused') conditions = conditions.filter((c) => c.type !== 'ReconciliationPaused');
    const paused = condition.type === 'ReconciliationPaused';
    const status: TopicStatus = {
      ...previous,
      ...(paused ? {} : { observedGeneration: generation, topicName: kafkaTopicName(topic) }),
      ...(observed ? { partitions: observed.partitions, replicationFactor: observed.replicationFactor } : {}),
      conditions,
    };
    const ready = conditions.find((c) => c.type === 'Ready');
    this.deps.metrics.topicReady.remove({ namespace: topic.metadata.namespace, name: topic.metadata.name });
    if (ready)
      this.deps.metrics.topicReady.set(
        { namespace: topic.metadata.namespace, name: topic.metadata.name, reason: ready.reason },
        ready.status === 'True' ? 1 : 0,
      );
    if (isDeepStrictEqual(status, previous)) return;
    await this.deps.writer.patchStatus(topic, status);
  }
}
