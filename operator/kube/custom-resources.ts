import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { group, version } from '../api/crds.ts';
import type { CustomResource } from '../api/resource.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Writes to one of our custom resources: its status (subresource) and its finalizers. */
export class CustomResourceWriter<Spec, Status> {
  private readonly api: CustomObjectsApi;
  private readonly plural: string;

  constructor(api: CustomObjectsApi, plural: string) {
    this.api = api;
    this.plural = plural;
  }

  async patchStatus(object: CustomResource<Spec, Status>, status: Status): Promise<void> {
    await this.api.patchNamespacedCustomObjectStatus(
      { group, version, plural: this.plural, namespace: object.metadata.namespace, name: object.metadata.name, body: { status } },
      mergePatch,
    );
  }

  /** Conditional on resourceVersion: a stale cache gets 409 and the key is reconciled again. */
  async setFinalizers(object: CustomResource<Spec, Status>, finalizers: string[]): Promise<void> {
    await this.api.patchNamespacedCustomObject(
      {
        group,
        version,
        plural: this.plural,
        namespace: object.metadata.namespace,
        name: object.metadata.name,
        body: { metadata: { finalizers, resourceVersion: object.metadata.resourceVersion } },
      },
      mergePatch,
    );
  }
}
