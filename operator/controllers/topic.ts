import { isDeepStrictEqual } from 'node:util';
import type { Logger } from '../../lib/log.ts';
import { keyOf, splitKey, type Watched } from '../../lib/watched.ts';
import { topicNames } from '../api/crds.ts';
import type { ObservedTopic } from '../api/kafka.ts';
import { kafkaTopicName, managedAnnotation, pausedAnnotation, type Topic, type TopicSpec, type TopicStatus } from '../api/topic.ts';
import { type KafkaTopics, kafkaMessage } from '../kafka/topics.ts';
import type { CustomResourceWriter } from '../kube/custom-resources.ts';
import type { Condition } from '../runtime/conditions.ts';
import type { ReconcileResult, Reconciler } from '../runtime/controller.ts';
import { type EventRecorder, refTo } from '../runtime/events.ts';
import type { OperatorMetrics } from '../runtime/metrics.ts';
import { TopicClaims } from './topic-claims.ts';
import { type DesiredTopic, desiredConfig, owner, planTopic, type TopicAction, type TopicPlan } from './topic-plan.ts';
import { describeAction, type TopicOutcome, topicCondition, topicStatus } from './topic-status.ts';

export const topicFinalizer = 'eventide.dev/delete-kafka-topic';

export interface TopicControllerDeps {
  topics: Watched<Topic>;
  kafka: KafkaTopics;
  writer: CustomResourceWriter<TopicSpec, TopicStatus>;
  events: EventRecorder;
  metrics: OperatorMetrics;
  now?: () => Date;
}

const desiredTopic = (topic: Topic): DesiredTopic => ({
  partitions: topic.spec.partitions,
  replicationFactor: topic.spec.replicationFactor,
  config: desiredConfig(topic.spec.config),
});

/**
 * Makes Kafka match each Topic resource; see ARCHITECTURE.md, "Custom resources". A reconcile is
 * a row of phases, each of which may end it with a reported outcome: load, the opt-outs (paused,
 * unmanaged), finalize a deleted Topic, sync its finalizer, claim the Kafka name, observe Kafka,
 * plan, apply, report. Each phase looks at what is, not at what changed, so running it again is safe.
 */
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
    const topic = this.load(key);
    if (topic) await this.converge(key, topic, log);
    return undefined;
  }

  /** The Topic from the watch; when it is gone, what this controller kept about it goes too. */
  private load(key: string): Topic | undefined {
    const { namespace, name } = splitKey(key);
    const topic = this.deps.topics.get(namespace, name);
    if (!topic) {
      this.deps.metrics.topicReady.remove({ namespace, name });
      this.refusalsTold.delete(key);
    }
    return topic;
  }

  private async converge(key: string, topic: Topic, log: Logger): Promise<void> {
    const annotations = topic.metadata.annotations ?? {};
    if (annotations[pausedAnnotation] === 'true') return this.report(topic, { kind: 'paused' });
    if (annotations[managedAnnotation] === 'false') return this.release(topic);
    if (topic.metadata.deletionTimestamp) return this.finalize(topic, log);
    // The finalizer exists only where deletion has work to do, so a namespace with Retain topics
    // never hangs on a missing operator.
    await this.syncFinalizer(topic, topic.spec.deletionPolicy === 'Delete');
    if (!this.ownsTopic(topic)) return this.report(topic, { kind: 'nameConflict', owner: this.ownerOf(kafkaTopicName(topic)) });
    const observed = await this.observe(topic);
    const desired = desiredTopic(topic);
    const plan = planTopic(desired, observed);
    if (plan.blocked) return this.refuse(key, topic, plan.blocked, observed);
    await this.apply(topic, plan.actions, observed, log);
    return this.report(topic, { kind: 'reconciled', desired });
  }

  /** Unmanaged: the Topic lets go of the Kafka topic, so deleting it must not wait on the operator. */
  private async release(topic: Topic): Promise<void> {
    await this.syncFinalizer(topic, false);
    if (topic.metadata.deletionTimestamp) return;
    return this.report(topic, { kind: 'unmanaged' });
  }

  /** A deleted Topic: deletes the Kafka topic when the policy says so and this Topic owns it, then lets go. */
  private async finalize(topic: Topic, log: Logger): Promise<void> {
    if (!topic.metadata.finalizers?.includes(topicFinalizer)) return;
    const topicName = kafkaTopicName(topic);
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
    await this.syncFinalizer(topic, false);
  }

  private async syncFinalizer(topic: Topic, want: boolean): Promise<void> {
    const finalizers = topic.metadata.finalizers ?? [];
    const has = finalizers.includes(topicFinalizer);
    if (want && !has) await this.deps.writer.setFinalizers(topic, [...finalizers, topicFinalizer]);
    if (!want && has)
      await this.deps.writer.setFinalizers(
        topic,
        finalizers.filter((f) => f !== topicFinalizer),
      );
  }

  /** What Kafka holds for the topic; Kafka out of reach is reported, then retried by the queue. */
  private async observe(topic: Topic): Promise<ObservedTopic | undefined> {
    try {
      return await this.deps.kafka.describe(kafkaTopicName(topic));
    } catch (error) {
      await this.report(topic, { kind: 'kafkaUnavailable', error: kafkaMessage(error) });
      throw error;
    }
  }

  /** A change Kafka cannot make: reported, and Kafka left untouched. */
  private async refuse(
    key: string,
    topic: Topic,
    blocked: NonNullable<TopicPlan['blocked']>,
    observed: ObservedTopic | undefined,
  ): Promise<void> {
    const { reason, message } = blocked;
    const generation = topic.metadata.generation;
    const told = `${topic.metadata.uid}/${generation}/${reason}`;
    const before = (topic.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
    // One Warning per generation, not per resync: the stored condition remembers it across
    // restarts and leader changes, the memo until the cache shows our own status write.
    const alreadyTold = this.refusalsTold.get(key) === told || (before?.reason === reason && before.observedGeneration === generation);
    await this.report(topic, { kind: 'blocked', reason, message, observed });
    if (!alreadyTold) await this.deps.events.record(refTo(topicNames.kind, topic), 'Warning', reason, message);
    this.refusalsTold.set(key, told);
  }

  /** The plan's actions in order, each told as an Event; the first Kafka refuses is reported and retried. */
  private async apply(topic: Topic, actions: TopicAction[], observed: ObservedTopic | undefined, log: Logger): Promise<void> {
    const topicName = kafkaTopicName(topic);
    for (const action of actions) {
      const what = describeAction(action);
      try {
        if (action.kind === 'create') await this.deps.kafka.create(topicName, action.partitions, action.replicationFactor, action.config);
        if (action.kind === 'addPartitions') await this.deps.kafka.addPartitions(topicName, action.to);
        if (action.kind === 'setConfig') await this.deps.kafka.setConfig(topicName, action.config);
      } catch (error) {
        const refused: TopicOutcome = { kind: 'refused', action, error: kafkaMessage(error), observed };
        const { reason, message } = topicCondition(topicName, refused);
        await this.report(topic, refused);
        await this.deps.events.record(refTo(topicNames.kind, topic), 'Warning', reason, message);
        throw error;
      }
      log.info({ topic: topicName, action: action.kind }, what.message);
      await this.deps.events.record(refTo(topicNames.kind, topic), 'Normal', what.reason, `Kafka topic ${topicName}: ${what.message}`);
    }
  }

  /** The key of the Topic that owns this Kafka name, if the watch knows one. */
  private ownerOf(topicName: string): string | undefined {
    const winner = this.claims.on(topicName).find((t) => this.ownsTopic(t));
    return winner ? keyOf(winner) : undefined;
  }

  private ownsTopic(topic: Topic): boolean {
    const claims = this.claims.on(kafkaTopicName(topic)).map((t) => ({
      topic: t,
      namespace: t.metadata.namespace,
      name: t.metadata.name,
      creationTimestamp: new Date(t.metadata.creationTimestamp ?? 0).toISOString(),
    }));
    return owner(claims)?.topic.metadata.uid === topic.metadata.uid;
  }

  /** Writes status only when it changes, so a converged Topic costs no API writes. */
  private async report(topic: Topic, outcome: TopicOutcome): Promise<void> {
    const previous = topic.status ?? {};
    const status = topicStatus(topic, outcome, this.now());
    const { namespace, name } = topic.metadata;
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    this.deps.metrics.topicReady.remove({ namespace, name });
    if (ready) this.deps.metrics.topicReady.set({ namespace, name, reason: ready.reason }, ready.status === 'True' ? 1 : 0);
    if (isDeepStrictEqual(status, previous)) return;
    await this.deps.writer.patchStatus(topic, status);
  }
}
