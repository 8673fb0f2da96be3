import { ApiException, type AppsV1Api, PatchStrategy, setHeaderOptions, type V2HorizontalPodAutoscaler } from '@kubernetes/client-node';

export interface TargetRef {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Reads and sets the replicas of a workload through its scale subresource. */
export class ScaleTargets {
  private readonly apps: AppsV1Api;
  private readonly autoscalers: { list(): V2HorizontalPodAutoscaler[] };

  /** `autoscalers`: the HorizontalPodAutoscalers from a watch, so a poll costs no list request. */
  constructor(apps: AppsV1Api, autoscalers: { list(): V2HorizontalPodAutoscaler[] }) {
    this.apps = apps;
    this.autoscalers = autoscalers;
  }

  /** The current replica count, or undefined when the workload does not exist. */
  async replicas(namespace: string, target: TargetRef): Promise<number | undefined> {
    try {
      const scale =
        target.kind === 'Deployment'
          ? await this.apps.readNamespacedDeploymentScale({ namespace, name: target.name })
          : await this.apps.readNamespacedStatefulSetScale({ namespace, name: target.name });
      return scale.spec?.replicas ?? 0;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  async scale(namespace: string, target: TargetRef, replicas: number): Promise<void> {
    const body = { spec: { replicas } };
    if (target.kind === 'Deployment') await this.apps.patchNamespacedDeploymentScale({ namespace, name: target.name, body }, mergePatch);
    else await this.apps.patchNamespacedStatefulSetScale({ namespace, name: target.name, body }, mergePatch);
  }

  /** A HorizontalPodAutoscaler that also scales this workload, if any: two scalers would fight. */
  competingAutoscaler(namespace: string, target: TargetRef): string | undefined {
    return this.autoscalers
      .list()
      .find(
        (hpa) =>
          hpa.metadata?.namespace === namespace &&
          hpa.spec?.scaleTargetRef.kind === target.kind &&
          hpa.spec.scaleTargetRef.name === target.name,
      )?.metadata?.name;
  }
}
