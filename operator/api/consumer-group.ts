import { conditionsSchema } from './conditions.ts';
import type { CustomResource } from './resource.ts';
import type { FromKubernetesSchema, KubernetesSchema } from './schema.ts';
import { topicNamePattern } from './topic.ts';

export const consumerGroupSpecSchema = {
  type: 'object',
  description: "A Kafka consumer group whose Deployment the operator scales by the group's lag.",
  required: ['topics', 'scaleTargetRef'],
  properties: {
    groupId: { type: 'string', minLength: 1, maxLength: 255, description: 'Kafka consumer group id. Defaults to metadata.name.' },
    topics: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: { type: 'string', pattern: topicNamePattern },
      'x-kubernetes-list-type': 'set',
      description: 'Topics whose lag counts for this group.',
    },
    scaleTargetRef: {
      type: 'object',
      required: ['name'],
      description: 'The workload that runs the consumers; scaled through its scale subresource.',
      properties: {
        apiVersion: { type: 'string', default: 'apps/v1', enum: ['apps/v1'], description: 'API version of the workload.' },
        kind: {
          type: 'string',
          default: 'Deployment',
          enum: ['Deployment', 'StatefulSet'],
          description: 'Kind of the workload: Deployment or StatefulSet.',
        },
        name: { type: 'string', minLength: 1, maxLength: 253, description: "Name of the workload, in this resource's namespace." },
      },
      additionalProperties: false,
    },
    minReplicas: { type: 'integer', minimum: 0, default: 1, description: 'Never fewer replicas than this.' },
    maxReplicas: { type: 'integer', minimum: 1, maximum: 1000, default: 10, description: 'Never more replicas than this.' },
    lagThreshold: {
      type: 'integer',
      minimum: 1,
      default: 1000,
      description: 'Target lag per replica: desired = ceil(total lag / lagThreshold).',
    },
    activationLagThreshold: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'At or below this total lag the group is inactive and runs minReplicas.',
    },
    pollIntervalSeconds: { type: 'integer', minimum: 1, maximum: 300, default: 5, description: 'How often lag is read.' },
    scaleDownStabilizationSeconds: {
      type: 'integer',
      minimum: 0,
      maximum: 3600,
      default: 60,
      description: 'Scale down only to the highest recommendation seen within this window (no flapping).',
    },
    offsetResetPolicy: {
      type: 'string',
      enum: ['earliest', 'latest'],
      default: 'latest',
      description: "The group's auto.offset.reset: how a partition with no committed offset counts (earliest: all of it is lag).",
    },
    allowIdleConsumers: {
      type: 'boolean',
      default: false,
      description: 'Allow more replicas than partitions (the extra consumers sit idle). Off by default.',
    },
    stallAfterPolls: {
      type: 'integer',
      minimum: 2,
      maximum: 1000,
      default: 6,
      description: 'A partition with lag whose committed offset has not moved for this many polls is stalled and left out of scaling.',
    },
    paused: { type: 'boolean', default: false, description: 'Stop scaling (lag is still reported).' },
  },
  additionalProperties: false,
  'x-kubernetes-validations': [
    { rule: 'self.minReplicas <= self.maxReplicas', message: 'minReplicas must not be greater than maxReplicas' },
  ],
} as const satisfies KubernetesSchema;

export const consumerGroupStatusSchema = {
  type: 'object',
  description: "The group's lag and the replicas chosen for it at the last poll, written by the operator only.",
  properties: {
    observedGeneration: {
      type: 'integer',
      format: 'int64',
      description: 'The .metadata.generation this status was computed from; behind it, the operator has not yet seen the latest spec.',
    },
    groupId: { type: 'string', description: 'Kafka consumer group id whose lag is reported.' },
    totalLag: {
      type: 'integer',
      format: 'int64',
      description: 'Sum of the lag of every partition of the topics, in messages, stalled partitions included.',
    },
    partitions: {
      type: 'array',
      description: 'Lag of each partition of the topics at the last poll.',
      items: {
        type: 'object',
        required: ['topic', 'partition', 'lag'],
        properties: {
          topic: { type: 'string', description: 'Kafka topic of the partition.' },
          partition: { type: 'integer', description: 'Partition number.' },
          lag: {
            type: 'integer',
            format: 'int64',
            description: 'Messages not yet consumed: max(0, endOffset - committedOffset), by offsetResetPolicy when nothing is committed.',
          },
          endOffset: { type: 'integer', format: 'int64', description: 'Offset the next message written to the partition will get.' },
          committedOffset: {
            type: 'integer',
            format: 'int64',
            description: 'Offset the group committed for the partition; absent when it has committed none.',
          },
          stalledSince: {
            type: 'string',
            format: 'date-time',
            description: 'Since when the partition has had lag while its committed offset did not move; set only while stalled.',
          },
        },
        additionalProperties: false,
      },
    },
    currentReplicas: { type: 'integer', description: 'Replicas of the workload at the last poll, as its scale subresource says.' },
    desiredReplicas: { type: 'integer', description: 'Replicas the scaling rule chose at the last poll.' },
    activeMembers: {
      type: 'integer',
      description: 'Members of the Kafka consumer group at the last poll; 0 means no consumer is in the group at all.',
    },
    lastLagReadTime: {
      type: 'string',
      format: 'date-time',
      description:
        'When lag was last read from Kafka: how fresh totalLag and partitions are. While nothing else in the status changes it is written at most once a minute, so an idle group costs no write per poll; Ready says when lag cannot be read.',
    },
    lastScaleTime: { type: 'string', format: 'date-time', description: 'When the operator last changed the number of replicas.' },
    conditions: conditionsSchema,
  },
  additionalProperties: false,
} as const satisfies KubernetesSchema;

export type ConsumerGroupSpec = FromKubernetesSchema<typeof consumerGroupSpecSchema>;
export type ConsumerGroupStatus = FromKubernetesSchema<typeof consumerGroupStatusSchema>;
export type ConsumerGroup = CustomResource<ConsumerGroupSpec, ConsumerGroupStatus>;
