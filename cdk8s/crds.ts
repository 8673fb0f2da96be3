import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { crds } from '../operator/api/crds.ts';

/** Topic and ConsumerGroup CRDs, built from the schemas the operator's types come from. */
export class EventideCrds extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    for (const crd of crds) new ApiObject(this, crd.metadata.name, crd);
  }
}
