import { conditionsSchema } from './conditions.ts';
import type { CustomResource } from './resource.ts';
import type { FromKubernetesSchema, KubernetesSchema } from './schema.ts';

/**
 * Kafka's legal topic names, as its own Topic.validate enforces: up to 249 of [a-zA-Z0-9._-],
 * and not "." or "..".
 */
export const topicNamePattern = '^[a-zA-Z0-9._-]{1,249}$';

export const topicSpecSchema = {
  type: 'object',
  description: 'The Kafka topic the operator makes exist, with these partitions and configs.',
  properties: {
    topicName: {
      type: 'string',
      pattern: topicNamePattern,
      maxLength: 249,
      description: 'Name of the topic in Kafka. Defaults to metadata.name. Cannot be changed after creation.',
    },
    partitions: {
      type: 'integer',
      minimum: 1,
      maximum: 100000,
      default: 1,
      description: 'Number of partitions. Can grow; Kafka cannot shrink a topic, so a decrease is reported, not applied.',
    },
    replicationFactor: {
      type: 'integer',
      minimum: 1,
      maximum: 32767,
      default: 1,
      description: 'Replicas per partition. A change after creation is reported, not applied.',
    },
    config: {
      type: 'object',
      description: 'Topic configs (e.g. retention.ms, cleanup.policy). Keys removed from here return to the broker default.',
      additionalProperties: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
    },
    deletionPolicy: {
      type: 'string',
      enum: ['Retain', 'Delete'],
      default: 'Retain',
      description: 'Retain keeps the Kafka topic when this resource is deleted; Delete deletes it first.',
    },
  },
  additionalProperties: false,
  'x-kubernetes-validations': [
    {
      rule: "!has(self.topicName) || (self.topicName != '.' && self.topicName != '..')",
      message: "topicName cannot be '.' or '..'",
    },
    {
      rule: 'has(self.topicName) == has(oldSelf.topicName) && (!has(self.topicName) || self.topicName == oldSelf.topicName)',
      message: 'topicName is immutable: create a new Topic for a new Kafka topic',
    },
  ],
} as const satisfies KubernetesSchema;

export const topicStatusSchema = {
  type: 'object',
  description: 'What the operator last saw of the Kafka topic, written by the operator only.',
  properties: {
    observedGeneration: {
      type: 'integer',
      format: 'int64',
      description: 'The .metadata.generation this status was computed from; behind it, the operator has not yet seen the latest spec.',
    },
    topicName: { type: 'string', description: 'Name of the Kafka topic this resource manages.' },
    topicId: { type: 'string', description: "Kafka's own id of the topic (a UUID), once known." },
    partitions: { type: 'integer', description: 'Number of partitions the topic has in Kafka.' },
    replicationFactor: { type: 'integer', description: 'Replicas per partition the topic has in Kafka.' },
    conditions: conditionsSchema,
  },
  additionalProperties: false,
} as const satisfies KubernetesSchema;

export type TopicSpec = FromKubernetesSchema<typeof topicSpecSchema>;
export type TopicStatus = FromKubernetesSchema<typeof topicStatusSchema>;
export type Topic = CustomResource<TopicSpec, TopicStatus>;

/** "false": the operator leaves the Kafka topic alone and never deletes it. */
export const managedAnnotation = 'eventide.dev/managed';
/** "true": the operator changes nothing in Kafka for this Topic until it is removed. */
export const pausedAnnotation = 'eventide.dev/paused';

export const kafkaTopicName = (topic: Topic): string => topic.spec.topicName ?? topic.metadata.name;
