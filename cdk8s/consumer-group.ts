import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { ConsumerGroupSpec } from '../operator/api/consumer-group.ts';
import { apiVersion, consumerGroupNames } from '../operator/api/crds.ts';
import { namespaceOf } from './labels.ts';

/** How the operator scales a consumer group's Deployment by its lag. */
export interface ConsumerScaling {
  /** Default: 1. */
  minReplicas?: number;
  /** Default: 6 (and never more than the topics' partitions). */
  maxReplicas?: number;
  /** Target lag per replica. Default: 1000. */
  lagThreshold?: number;
  /** At or below this total lag the group runs minReplicas. Default: unset (the CRD's 0). */
  activationLagThreshold?: number;
  /** Default: 5. */
  pollIntervalSeconds?: number;
  /** Default: 60. */
  scaleDownStabilizationSeconds?: number;
  /** Where a partition without a committed offset starts. Default: "earliest" (nothing published before the group is skipped). */
  offsetResetPolicy?: ConsumerGroupSpec['offsetResetPolicy'];
}

export interface ConsumerGroupProps extends ConsumerScaling {
  /** Kafka group id, also the resource's name. */
  groupId: string;
  /** Topics whose lag counts. */
  topics: string[];
  /** The Deployment that runs the group's consumers and that the operator scales. */
  deployment: string;
}

/** A ConsumerGroup resource: the operator scales `deployment` by the group's lag. */
export class ConsumerGroup extends Construct {
  readonly groupId: string;
  readonly resource: ApiObject;

  constructor(scope: Construct, id: string, props: ConsumerGroupProps) {
    super(scope, id);
    const namespace = namespaceOf(this);
    this.groupId = props.groupId;
    // Partial: the CRD's schema defaults fill what is left out.
    const spec: Partial<ConsumerGroupSpec> = {
      groupId: props.groupId,
      topics: props.topics,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: props.deployment },
      minReplicas: props.minReplicas ?? 1,
      maxReplicas: props.maxReplicas ?? 6,
      lagThreshold: props.lagThreshold ?? 1000,
      ...(props.activationLagThreshold === undefined ? {} : { activationLagThreshold: props.activationLagThreshold }),
      pollIntervalSeconds: props.pollIntervalSeconds ?? 5,
      scaleDownStabilizationSeconds: props.scaleDownStabilizationSeconds ?? 60,
      offsetResetPolicy: props.offsetResetPolicy ?? 'earliest',
    };
    this.resource = new ApiObject(this, 'resource', {
      apiVersion,
      kind: consumerGroupNames.kind,
      metadata: { name: props.groupId, namespace },
      spec,
    });
  }
}
