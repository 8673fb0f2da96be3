import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** The reference an Event needs to one of our custom resources. */
export function refTo(kind: string, object: { metadata: { namespace: string; name: string; uid?: string } }): ObjectRef {
  return {
    apiVersion: `eventide.dev/v1alpha1`,
    kind,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    uid: object.metadata.uid ?? '',
  };
}

/** Records Kubernetes Events on the objects the operator acts for (`kubectl describe` shows them). */
export class EventRecorder {
  private readonly core: CoreV1Api;
  private readonly log: Logger;
  private readonly component: string;

  constructor(core: CoreV1Api, log: Logger, component = 'eventide-operator') {
    this.core = core;
    this.log = log;
    this.component = component;
  }

  async record(object: ObjectRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date();
    try {
      await this.core.createNamespacedEvent({
        namespace: object.namespace,
        body: {
          metadata: { name: `${object.name}.${randomBytes(8).toString('hex')}`, namespace: object.namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            namespace: object.namespace,
            name: object.name,
            uid: object.uid,
          },
          type,
          reason,
          message,
          source: { component: this.component },
          reportingComponent: this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      // An Event is a courtesy to people; failing to write one must not fail the reconcile.
      this.log.warn({ err: error, reason }, 'could not record an Event');
    }
  }
}
