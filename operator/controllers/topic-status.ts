import type { ObservedTopic } from '../api/kafka.ts';
import { kafkaTopicName, managedAnnotation, pausedAnnotation, type Topic, type TopicStatus } from '../api/topic.ts';
import { type Condition, type NewCondition, setCondition } from '../runtime/conditions.ts';
import type { BlockedReason, DesiredTopic, TopicAction } from './topic-plan.ts';

/**
 * Where a reconcile of one Topic ended, as the phases saw it: the one input of its status, so
 * the words users read can be tested without Kafka or an API server.
 */
export type TopicOutcome =
  | { kind: 'paused' }
  | { kind: 'unmanaged' }
  /** Another, older Topic owns the Kafka topic's name; its key when the watch knows it. */
  | { kind: 'nameConflict'; owner?: string }
  | { kind: 'kafkaUnavailable'; error: string }
  /** The plan asks for a change Kafka cannot make (only an existing topic can block a plan). */
  | { kind: 'blocked'; reason: BlockedReason; message: string; observed: ObservedTopic | undefined }
  /** Kafka refused an action of the plan; `observed` is undefined when the topic did not exist yet. */
  | { kind: 'refused'; action: TopicAction; error: string; observed: ObservedTopic | undefined }
  | { kind: 'reconciled'; desired: DesiredTopic };

/** The reason of each applied action's Event, and what it changed in words. */
export function describeAction(action: TopicAction): { reason: string; message: string } {
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

/** The condition an outcome sets: ReconciliationPaused when paused, Ready otherwise. */
export function topicCondition(topicName: string, outcome: TopicOutcome): NewCondition {
  switch (outcome.kind) {
    case 'paused':
      return {
        type: 'ReconciliationPaused',
        status: 'True',
        reason: 'ReconciliationPaused',
        message: `${pausedAnnotation} is "true": the operator changes nothing in Kafka for this Topic`,
      };
    case 'unmanaged':
      return {
        type: 'Ready',
        status: 'True',
        reason: 'Unmanaged',
        message: `${managedAnnotation} is "false": Kafka topic ${topicName} is left as it is, and deleting this resource never deletes it`,
      };
    case 'nameConflict':
      return {
        type: 'Ready',
        status: 'False',
        reason: 'TopicNameConflict',
        message: `Kafka topic ${topicName} is already managed by Topic ${outcome.owner ?? 'another resource'}, which is older; this one changes nothing`,
      };
    case 'kafkaUnavailable':
      return {
        type: 'Ready',
        status: 'False',
        reason: 'KafkaUnavailable',
        message: `cannot read topic ${topicName} from Kafka: ${outcome.error}`,
      };
    case 'blocked':
      return { type: 'Ready', status: 'False', reason: outcome.reason, message: outcome.message };
    case 'refused': {
      const { action, error } = outcome;
      return {
        type: 'Ready',
        status: 'False',
        reason: /config/i.test(error) ? 'InvalidConfig' : 'KafkaError',
        message: `Kafka refused to ${action.kind === 'create' ? 'create' : 'update'} topic ${topicName} (${describeAction(action).message}): ${error}`,
      };
    }
    case 'reconciled': {
      const { desired } = outcome;
      const overrides = Object.keys(desired.config).length;
      return {
        type: 'Ready',
        status: 'True',
        reason: 'Reconciled',
        message: `Kafka topic ${topicName} has ${desired.partitions} partitions, replication factor ${desired.replicationFactor}, ${overrides} config override${overrides === 1 ? '' : 's'}`,
      };
    }
  }
}

/** Partitions and replication factor the outcome saw in Kafka, or made Kafka hold. */
function seenInKafka(outcome: TopicOutcome): { partitions: number; replicationFactor: number } | undefined {
  if (outcome.kind === 'blocked' || outcome.kind === 'refused') return outcome.observed;
  if (outcome.kind === 'reconciled') return outcome.desired;
  return undefined;
}

/** The Topic's next status: its previous one with the outcome's condition and what Kafka was seen to hold. */
export function topicStatus(topic: Topic, outcome: TopicOutcome, now: Date): TopicStatus {
  const generation = topic.metadata.generation;
  const previous = topic.status ?? {};
  const topicName = kafkaTopicName(topic);
  const paused = outcome.kind === 'paused';
  let conditions = setCondition(
    previous.conditions as Condition[] | undefined,
    { ...topicCondition(topicName, outcome), observedGeneration: generation },
    now,
  );
  // Any outcome but a pause means reconciling resumed.
  if (!paused) conditions = conditions.filter((c) => c.type !== 'ReconciliationPaused');
  const seen = seenInKafka(outcome);
  return {
    ...previous,
    // A paused reconcile looked at nothing, so it claims no generation.
    ...(paused ? {} : { observedGeneration: generation, topicName }),
    ...(seen ? { partitions: seen.partitions, replicationFactor: seen.replicationFactor } : {}),
    conditions,
  };
}
