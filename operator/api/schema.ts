import type { ExtendedJSONSchema, FromExtendedSchema } from 'json-schema-to-ts';

/** The OpenAPI extensions Kubernetes adds to CRD schemas, so the schemas type-check with them. */
export type KubernetesExtensions = {
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: readonly { rule: string; message: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
};

export type KubernetesSchema = ExtendedJSONSchema<KubernetesExtensions>;

/** The TypeScript type of what the API server stores for a schema (defaults applied). */
export type FromKubernetesSchema<S extends KubernetesSchema> = FromExtendedSchema<KubernetesExtensions, S>;
