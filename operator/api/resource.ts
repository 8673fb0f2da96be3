import type { V1ObjectMeta } from '@kubernetes/client-node';

/** One of our custom resources as the API server returns it: here so controllers and the kube adapter share it. */
export interface CustomResource<Spec, Status> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: Spec;
  status?: Status;
}
