import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ConsumerGroupSpec } from '../operator/api/consumer-group.ts';
import { apiVersion, consumerGroupNames, topicNames } from '../operator/api/crds.ts';
import type { TopicSpec } from '../operator/api/topic.ts';
import { namespace } from './labels.ts';

export interface PlatformResourcesProps {
  replicationFactor: number;
  minInsyncReplicas: number;
  /** The Deployment the search-indexer ConsumerGroup scales. */
  indexer: string;
}

/**
 * The platform declares its own topics and its consumer group the way users will: as Topic and
 * ConsumerGroup resources the operator reconciles.
 */
export class PlatformResources extends Construct {
  static readonly changeTopic = 'catalog.events';
  static readonly indexerGroup = 'search-indexer';
  static readonly deadLetterTopic = `${PlatformResources.indexerGroup}.dlq`;

  constructor(scope: Construct, id: string, props: PlatformResourcesProps) {
    super(scope, id);
    const topic = (name: string, spec: Partial<TopicSpec>) =>
      new ApiObject(this, name, { apiVersion, kind: topicNames.kind, metadata: { name, namespace }, spec });
    const durable = { 'min.insync.replicas': String(props.minInsyncReplicas) };

    topic('catalog-events', {
      topicName: PlatformResources.changeTopic,
      partitions: 6,
      replicationFactor: props.replicationFactor,
      config: { ...durable, 'retention.ms': '604800000', 'cleanup.policy': 'delete' },
      deletionPolicy: 'Retain',
    });
    topic('search-indexer-dlq', {
      topicName: PlatformResources.deadLetterTopic,
      partitions: 1,
      replicationFactor: props.replicationFactor,
      // Dead letters wait for a person: keep them four weeks.
      config: { ...durable, 'retention.ms': '2419200000' },
      deletionPolicy: 'Retain',
    });

    const group: Partial<ConsumerGroupSpec> = {
      groupId: PlatformResources.indexerGroup,
      topics: [PlatformResources.changeTopic],
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: props.indexer },
      minReplicas: 1,
      maxReplicas: 6,
      lagThreshold: 1000,
      pollIntervalSeconds: 5,
      scaleDownStabilizationSeconds: 60,
      offsetResetPolicy: 'earliest',
    };
    new ApiObject(this, 'search-indexer', {
      apiVersion,
      kind: consumerGroupNames.kind,
      metadata: { name: PlatformResources.indexerGroup, namespace },
      spec: group,
    });
  }
}
