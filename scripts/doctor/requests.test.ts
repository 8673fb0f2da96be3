import { describe, expect, it } from 'vitest';
import { type ChartObject, chartRequests, cpuMillis, memoryBytes, podRequests, sum } from './requests.ts';

const Mi = 2 ** 20;
const container = (name: string, cpu: string, memory: string) => ({ name, resources: { requests: { cpu, memory } } });

describe('quantities', () => {
  it('reads CPU in millicores and memory in bytes, binary and decimal', () => {
    expect([cpuMillis('250m'), cpuMillis('1'), cpuMillis(0.5), cpuMillis(undefined)]).toEqual([250, 1000, 500, 0]);
    expect([memoryBytes('128Mi'), memoryBytes('1Gi'), memoryBytes('1G'), memoryBytes('512'), memoryBytes(undefined)]).toEqual([
      128 * Mi,
      1024 * Mi,
      1e9,
      512,
      0,
    ]);
    expect(() => memoryBytes('12 parsecs')).toThrow(/cannot read/);
  });
});

describe('a Pod', () => {
  it('requests its containers summed, or its largest init container where that is larger, per resource', () => {
    expect(
      podRequests({
        containers: [container('app', '100m', '128Mi'), container('sidecar', '50m', '64Mi')],
        initContainers: [container('migrate', '500m', '64Mi'), container('wait', '10m', '16Mi')],
      }),
    ).toEqual({ cpu: 500, memory: 192 * Mi });
  });
});

describe('a chart', () => {
  const deployment = (name: string, replicas?: number): ChartObject => ({
    kind: 'Deployment',
    metadata: { name },
    spec: { ...(replicas === undefined ? {} : { replicas }), template: { spec: { containers: [container(name, '100m', '128Mi')] } } },
  });

  it("counts fixed replicas, a consumer at its ConsumerGroup's minReplicas, others at 1, and Kafka's node pools", () => {
    const parts = chartRequests([
      deployment('operator', 2),
      deployment('indexer'),
      deployment('lonely'),
      { kind: 'ConsumerGroup', metadata: { name: 'indexer' }, spec: { scaleTargetRef: { name: 'indexer' }, minReplicas: 3 } },
      {
        kind: 'KafkaNodePool',
        metadata: { name: 'dual-role' },
        spec: { replicas: 1, resources: { requests: { cpu: '250m', memory: '1Gi' } } },
      },
      { kind: 'Service', metadata: { name: 'operator' }, spec: {} },
    ]);
    expect(parts.map((p) => p.name)).toEqual([
      'Deployment operator × 2',
      'Deployment indexer × 3',
      'Deployment lonely × 1',
      'KafkaNodePool dual-role × 1',
    ]);
    expect(sum(parts)).toEqual({ cpu: 850, memory: 6 * 128 * Mi + 1024 * Mi });
  });
});
