import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { apiVersion, topicNames } from '../operator/api/crds.ts';
import type { TopicSpec } from '../operator/api/topic.ts';
import { namespaceOf } from './labels.ts';

/** How the platform's Kafka makes topics durable: the profile decides, every Topic follows. */
export interface TopicDurability {
  /** Replicas per partition. */
  replicationFactor: number;
  /** Written into each topic's config as min.insync.replicas. */
  minInsyncReplicas: number;
}

export interface TopicProps extends TopicDurability {
  /** The Kafka topic name, e.g. "catalog.events". The resource is named after it, dots as dashes ("catalog-events"). */
  topicName: string;
  /** Default: 6 (a consumer group scales to at most one replica per partition). */
  partitions?: number;
  /** Topic configs, e.g. retention.ms; min.insync.replicas is added. Default: none beyond min.insync.replicas. */
  config?: Record<string, string>;
  /** Default: "Retain" — deleting the resource keeps the Kafka topic and its data. */
  deletionPolicy?: TopicSpec['deletionPolicy'];
}

/** One Kafka topic as the project's own Topic resource, which the operator reconciles. */
export class Topic extends Construct {
  /** The Topic resource's metadata.name for a Kafka topic name. */
  static resourceName(topicName: string): string {
    return topicName.toLowerCase().replaceAll(/[._]/g, '-');
  }

  readonly topicName: string;
  readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: TopicProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    this.topicName = props.topicName;
    const spec: Partial<TopicSpec> = {
      topicName: props.topicName,
      partitions: props.partitions ?? 6,
      replicationFactor: props.replicationFactor,
      config: { 'min.insync.replicas': String(props.minInsyncReplicas), ...props.config },
      deletionPolicy: props.deletionPolicy ?? 'Retain',
    };
    this.resource = new ApiObject(this, 'resource', {
      apiVersion,
      kind: topicNames.kind,
      metadata: { name: Topic.resourceName(props.topicName), namespace },
      spec,
    });
  }
}
