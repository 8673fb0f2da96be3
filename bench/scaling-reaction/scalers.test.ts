import { describe, expect, it } from 'vitest';
import { eventide, kedaDefaults, kedaFastest, type ScaledWorkload } from './scalers.ts';

const workload: ScaledWorkload = {
  namespace: 'ns',
  deployment: 'consumers',
  topic: 'work',
  groupId: 'group',
  minReplicas: 1,
  maxReplicas: 6,
  lagThreshold: 1000,
};
type Spec = Record<string, unknown> & { triggers?: { type: string; metadata: Record<string, string> }[] };
const specOf = (o: { body: Record<string, unknown> }) => o.body.spec as Spec;

describe('the scalers compared', () => {
  it('scale the same Deployment on the same group, topic, threshold and bounds', () => {
    const cg = specOf(eventide.object(workload, 'k:9092'));
    expect(cg).toMatchObject({
      groupId: 'group',
      topics: ['work'],
      scaleTargetRef: { name: 'consumers' },
      minReplicas: 1,
      maxReplicas: 6,
      lagThreshold: 1000,
    });
    for (const keda of [kedaDefaults, kedaFastest]) {
      const so = specOf(keda.object(workload, 'k:9092'));
      expect(so).toMatchObject({ scaleTargetRef: { name: 'consumers' }, minReplicaCount: 1, maxReplicaCount: 6 });
      expect(so.triggers).toEqual([
        {
          type: 'kafka',
          metadata: {
            bootstrapServers: 'k:9092',
            consumerGroup: 'group',
            topic: 'work',
            lagThreshold: '1000',
            offsetResetPolicy: 'latest',
          },
        },
      ]);
    }
  });

  it('leave every default alone where they say so', () => {
    expect(Object.keys(specOf(eventide.object(workload, 'k')))).not.toContain('pollIntervalSeconds');
    const so = specOf(kedaDefaults.object(workload, 'k'));
    expect(so.pollingInterval).toBeUndefined();
    expect(so.advanced).toBeUndefined();
  });

  it('the fastest KEDA: a 1 s poll and an HPA behaviour with no scale-up window, the scale-down window Eventide has', () => {
    const so = specOf(kedaFastest.object(workload, 'k'));
    expect(so.pollingInterval).toBe(1);
    expect(so.advanced).toMatchObject({
      horizontalPodAutoscalerConfig: {
        behavior: { scaleUp: { stabilizationWindowSeconds: 0 }, scaleDown: { stabilizationWindowSeconds: 60 } },
      },
    });
  });
});
