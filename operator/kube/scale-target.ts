import { ApiException, type AppsV1Api, type AutoscalingV2Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export interface TargetRef {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Reads and sets the replicas of a workload through its scale subresource. */
export class ScaleTargets {
  private readonly apps: AppsV1Api;
  private readonly autoscaling: AutoscalingV2Api;

  constructor(apps: AppsV1Api, autoscaling: AutoscalingV2Api) {
    this.apps = apps;
    this.autoscaling = autoscaling;
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
  async competingAutoscaler(namespace: string, target: TargetRef): Promise<string | undefined> {
    const list = await this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace });
    return list.items.find((hpa) => hpa.spec?.scaleTargetRef.kind === target.kind && hpa.spec.scaleTargetRef.name === target.name)?.metadata
      ?.name;
  }
}
