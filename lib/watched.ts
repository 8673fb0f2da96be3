import { isDeepStrictEqual } from 'node:util';
import {
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
} from '@kubernetes/client-node';
import { backoffMs, sleep } from './backoff.ts';
import type { Logger } from './log.ts';

export interface WatchedOptions<T extends KubernetesObject> {
  /** e.g. "/apis/eventide.dev/v1alpha1/topics"; "{namespace}" is filled per watched namespace. */
  clusterPath: string;
  namespacedPath: (namespace: string) => string;
  listCluster: () => Promise<KubernetesListObject<T>>;
  listNamespaced: (namespace: string) => Promise<KubernetesListObject<T>>;
  /** Empty: every namespace. */
  namespaces: string[];
}

/**
 * Drops what no reconcile reads and what makes up most of a cached custom resource (as
 * controller-runtime's TransformStripManagedFields): at 10,000 Topics the cache is the operator's memory.
 */
function trim(object: KubernetesObject): void {
  if (!object.metadata) return;
  delete object.metadata.managedFields;
  delete object.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
}

/**
 * A local cache of one resource kind kept current by list+watch (client-node's informer: it
 * re-lists after a 410 Gone, and we restart it after any other failure), over all namespaces or a
 * configured list of them.
 */
export class Watched<T extends KubernetesObject> {
  private readonly informers: (Informer<T> & ObjectCache<T>)[];
  private readonly log: Logger;
  /** Aborted by stop(): ends a wait between initial list attempts at once. */
  private readonly stopped = new AbortController();
  private synced = false;

  constructor(kc: KubeConfig, options: WatchedOptions<T>, log: Logger) {
    this.log = log;
    this.informers =
      options.namespaces.length === 0
        ? [makeInformer(kc, options.clusterPath, options.listCluster)]
        : options.namespaces.map((ns) => makeInformer(kc, options.namespacedPath(ns), () => options.listNamespaced(ns)));
    for (const informer of this.informers) {
      // Registered first, so every other handler and the cache see the trimmed object.
      informer.on('add', trim);
      informer.on('update', trim);
      informer.on('error', (error: unknown) => {
        // Before the first successful list, start() does the retrying.
        if (this.stopped.signal.aborted || !this.synced) return;
        this.log.warn({ err: error }, 'watch failed; listing again in 2 s');
        setTimeout(() => void informer.start().catch(() => undefined), 2_000).unref();
      });
    }
  }

  /** Calls `enqueue` with the key of each object whose change can matter to a reconcile (see specChanged) or that is gone. */
  onSpecChange(enqueue: (key: string) => void): void {
    const seen = new Map<string, T>();
    this.onChange((object, deleted) => {
      const key = keyOf(object);
      if (deleted || specChanged(seen.get(key), object)) enqueue(key);
      if (deleted) seen.delete(key);
      else seen.set(key, object);
    });
  }

  /** Calls `handler` for every add, update and delete (`deleted` true for the last). */
  onChange(handler: (object: T, deleted: boolean) => void): void {
    for (const informer of this.informers) {
      informer.on('add', (object) => handler(object, false));
      informer.on('update', (object) => handler(object, false));
      informer.on('delete', (object) => handler(object, true));
    }
  }

  /**
   * Resolves once every informer has listed its objects. The informer's own start() also resolves
   * when that first list fails (e.g. 429 while the API server's storage initializes), so failures
   * are watched for and the start is repeated.
   */
  async start(): Promise<void> {
    await Promise.all(
      this.informers.map(async (informer) => {
        for (let attempt = 1; !this.stopped.signal.aborted; attempt++) {
          let failed: unknown;
          const onError = (error: unknown) => {
            failed = error;
          };
          informer.on('error', onError);
          await informer.start().catch((error: unknown) => {
            failed = error;
          });
          informer.off('error', onError);
          if (failed === undefined) return;
          this.log.warn({ err: failed, attempt }, 'initial list failed; trying again');
          await sleep(backoffMs(attempt, { baseMs: 250, maxMs: 5_000 }), this.stopped.signal);
        }
      }),
    );
    this.synced = true;
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }

  list(): T[] {
    return this.informers.flatMap((informer) => informer.list());
  }

  get(namespace: string, name: string): T | undefined {
    for (const informer of this.informers) {
      const object = informer.get(name, namespace);
      if (object) return object;
    }
    return undefined;
  }
}

/**
 * Whether a watch event can change what a reconcile does: a new object, a new generation (spec),
 * other annotations, or a deletion begun. Our own status writes are none of these, so they do not
 * wake the key again (controller-runtime's GenerationChanged and AnnotationChanged predicates);
 * what Kafka does behind our back is seen by the periodic resync and by polls.
 */
export function specChanged(previous: KubernetesObject | undefined, next: KubernetesObject): boolean {
  return (
    !previous ||
    previous.metadata?.generation !== next.metadata?.generation ||
    !isDeepStrictEqual(previous.metadata?.annotations, next.metadata?.annotations) ||
    previous.metadata?.deletionTimestamp !== next.metadata?.deletionTimestamp
  );
}

export const keyOf = (object: KubernetesObject): string => `${object.metadata?.namespace}/${object.metadata?.name}`;

export function splitKey(key: string): { namespace: string; name: string } {
  const [namespace = '', name = ''] = key.split('/');
  return { namespace, name };
}
