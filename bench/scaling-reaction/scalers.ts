/**
 * The scalers compared by bench/scaling-reaction, as the objects a user would write: an Eventide
 * ConsumerGroup at its defaults, and a KEDA ScaledObject with the Kafka trigger at KEDA's defaults
 * and at the fastest settings a user can set without touching the cluster (the HPA's 15 s sync
 * period is the controller-manager's, as on a managed cluster).
 */

/** One consumer Deployment over one topic, identical for every scaler. */
export interface ScaledWorkload {
  namespace: string;
  deployment: string;
  topic: string;
  groupId: string;
  minReplicas: number;
  maxReplicas: number;
  lagThreshold: number;
}

export type ScalerName = 'eventide' | 'keda-defaults' | 'keda-fastest';

export interface Scaler {
  name: ScalerName;
  /** What the table says about its settings. */
  settings: string;
  /** The object that makes it scale `workload`. */
  object(workload: ScaledWorkload, brokers: string): ScalerObject;
}

export interface ScalerObject {
  group: string;
  version: string;
  plural: string;
  body: Record<string, unknown>;
}

export const eventide: Scaler = {
  name: 'eventide',
  settings: 'ConsumerGroup defaults: poll 5 s, scale-down window 60 s',
  object: (w) => ({
    group: 'eventide.dev',
    version: 'v1alpha1',
    plural: 'consumergroups',
    body: {
      apiVersion: 'eventide.dev/v1alpha1',
      kind: 'ConsumerGroup',
      metadata: { name: w.deployment, namespace: w.namespace },
      spec: {
        groupId: w.groupId,
        topics: [w.topic],
        scaleTargetRef: { name: w.deployment },
        minReplicas: w.minReplicas,
        maxReplicas: w.maxReplicas,
        lagThreshold: w.lagThreshold,
      },
    },
  }),
};

/** KEDA's Kafka trigger over the same group and threshold; `spec` adds the profile's settings. */
function scaledObject(w: ScaledWorkload, brokers: string, spec: Record<string, unknown>): ScalerObject {
  return {
    group: 'keda.sh',
    version: 'v1alpha1',
    plural: 'scaledobjects',
    body: {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: w.deployment, namespace: w.namespace },
      spec: {
        scaleTargetRef: { name: w.deployment },
        // KEDA's default minimum is 0 (scale to zero); the same floor as the ConsumerGroup's.
        minReplicaCount: w.minReplicas,
        maxReplicaCount: w.maxReplicas,
        ...spec,
        triggers: [
          {
            type: 'kafka',
            metadata: {
              bootstrapServers: brokers,
              consumerGroup: w.groupId,
              topic: w.topic,
              lagThreshold: String(w.lagThreshold),
              offsetResetPolicy: 'latest',
            },
          },
        ],
      },
    },
  };
}

export const kedaDefaults: Scaler = {
  name: 'keda-defaults',
  settings: 'ScaledObject defaults: pollingInterval 30 s, HPA sync 15 s, HPA scale-down window 300 s',
  object: (w, brokers) => scaledObject(w, brokers, {}),
};

/**
 * The fastest a user can ask for: KEDA's shortest poll, and an HPA `behavior` that adds no
 * stabilization to a scale-up and allows any step in 1 s. The scale-down window is Eventide's
 * default (60 s), so both damp a falling lag the same way.
 */
export const kedaFastest: Scaler = {
  name: 'keda-fastest',
  settings: 'pollingInterval 1 s; HPA behavior: scale-up window 0 s, any step per 1 s; scale-down window 60 s',
  object: (w, brokers) =>
    scaledObject(w, brokers, {
      pollingInterval: 1,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: {
              stabilizationWindowSeconds: 0,
              selectPolicy: 'Max',
              policies: [
                { type: 'Percent', value: 1000, periodSeconds: 1 },
                { type: 'Pods', value: w.maxReplicas, periodSeconds: 1 },
              ],
            },
            scaleDown: {
              stabilizationWindowSeconds: 60,
              selectPolicy: 'Max',
              policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }],
            },
          },
        },
      },
    }),
};

export const scalers: readonly Scaler[] = [eventide, kedaDefaults, kedaFastest];
