import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { StrimziKafka } from '../../cdk8s/kafka.ts';
import { categoryCounts } from './deploy.ts';

describe('the example as a construct call', () => {
  it('synthesizes a Deployment and Service, a ConsumerGroup scaling it on catalog.events, and its dead-letter Topic', () => {
    const app = Testing.app();
    const workloads = new Chart(app, 'workloads');
    const resources = new Chart(app, 'resources');
    categoryCounts(workloads, { cluster: new StrimziKafka(workloads, 'kafka', {}), resources }, 'eventide/category-counts:0.1.0');
    const kinds = (chart: Chart) =>
      (Testing.synth(chart) as { kind: string; metadata: { name: string }; spec?: { topicName?: string } }[]).map(
        (o) => `${o.kind}/${o.spec?.topicName ?? o.metadata.name}`,
      );
    expect(kinds(workloads)).toEqual(expect.arrayContaining(['Deployment/category-counts', 'Service/category-counts']));
    expect(kinds(resources).sort()).toEqual(['ConsumerGroup/category-counts', 'Topic/category-counts.dlq']);
  });
});
