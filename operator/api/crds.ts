import { consumerGroupSpecSchema, consumerGroupStatusSchema } from './consumer-group.ts';
import { topicSpecSchema, topicStatusSchema } from './topic.ts';

export const group = 'eventide.dev';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;

export interface CrdNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
}

export const topicNames: CrdNames = { kind: 'Topic', plural: 'topics', singular: 'topic' };
export const consumerGroupNames: CrdNames = {
  kind: 'ConsumerGroup',
  plural: 'consumergroups',
  singular: 'consumergroup',
  shortNames: ['cg'],
};

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * The schemas say `additionalProperties: false` so that the derived TypeScript types are closed;
 * a structural CRD schema must not (the API server prunes unknown fields instead).
 */
export function toStructural(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toStructural);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(schema as Record<string, Json>)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = toStructural(value);
  }
  return out;
}

const readyColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const ageColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function crd(names: CrdNames, spec: Json, status: Json, columns: Json[], description: string) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { ...names, listKind: `${names.kind}List`, categories: ['eventide'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              required: ['spec'],
              properties: {
                // The standard texts, so kubectl explain shows them here too; metadata must stay bare
                // (the API server refuses anything but name/generateName there and explains it itself).
                apiVersion: {
                  type: 'string',
                  description:
                    'APIVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
                },
                kind: {
                  type: 'string',
                  description:
                    'Kind is a string value representing the REST resource this object represents. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
                },
                metadata: { type: 'object' },
                spec: toStructural(spec),
                status: toStructural(status),
              },
            },
          },
        },
      ],
    },
  };
}

export const topicCrd = crd(
  topicNames,
  topicSpecSchema,
  topicStatusSchema,
  [
    { name: 'Topic', type: 'string', jsonPath: '.status.topicName' },
    { name: 'Partitions', type: 'integer', jsonPath: '.status.partitions' },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.replicationFactor' },
    readyColumn,
    ageColumn,
  ],
  'A Kafka topic, declared: the Eventide operator creates it, grows its partitions and keeps its configs as written here.',
);

export const consumerGroupCrd = crd(
  consumerGroupNames,
  consumerGroupSpecSchema,
  consumerGroupStatusSchema,
  [
    { name: 'Group', type: 'string', jsonPath: '.status.groupId' },
    { name: 'Lag', type: 'integer', jsonPath: '.status.totalLag' },
    { name: 'Replicas', type: 'integer', jsonPath: '.status.currentReplicas' },
    { name: 'Desired', type: 'integer', jsonPath: '.status.desiredReplicas' },
    readyColumn,
    ageColumn,
  ],
  'A Kafka consumer group: the Eventide operator reads its lag and scales the consumer workload to match.',
);

export const crds = [topicCrd, consumerGroupCrd];
