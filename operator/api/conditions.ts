import type { KubernetesSchema } from './schema.ts';

/** The standard Kubernetes condition (metav1.Condition), shared by every status we write. */
export const conditionSchema = {
  type: 'object',
  required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
  properties: {
    type: { type: 'string', description: 'Condition type, e.g. Ready.' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'Whether the condition holds: True, False or Unknown.' },
    reason: { type: 'string', description: 'One CamelCase word a program can match on.' },
    message: { type: 'string', description: 'What happened, for a person.' },
    lastTransitionTime: { type: 'string', format: 'date-time', description: 'When status last changed.' },
    observedGeneration: { type: 'integer', format: 'int64', description: 'The .metadata.generation this condition was computed from.' },
  },
  additionalProperties: false,
} as const satisfies KubernetesSchema;

export const conditionsSchema = {
  type: 'array',
  description: 'The latest observations of the resource, one per type (Ready says whether it is as the spec asks).',
  items: conditionSchema,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
} as const satisfies KubernetesSchema;
