/**
 * What the console shows of the API server: the platform namespace's Topics and ConsumerGroups,
 * from watches (the library's Watched cache), and each group's timeline fed by the statuses the
 * operator writes. Reads never call the API server: a page load costs nothing upstream.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.ts';
import { Watched } from '../../lib/watched.ts';
import { GroupTimeline, readingOf } from './group-timeline.ts';

export interface PlatformResource extends KubernetesObject {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const group = 'eventide.dev';
const version = 'v1alpha1';

function watchedKind(kc: KubeConfig, namespace: string, plural: string, log: Logger): Watched<PlatformResource> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = (ns?: string) =>
    (ns
      ? custom.listNamespacedCustomObject({ group, version, namespace: ns, plural })
      : custom.listClusterCustomObject({ group, version, plural })) as Promise<KubernetesListObject<PlatformResource>>;
  return new Watched<PlatformResource>(
    kc,
    {
      clusterPath: `/apis/${group}/${version}/${plural}`,
      namespacedPath: (ns) => `/apis/${group}/${version}/namespaces/${ns}/${plural}`,
      listCluster: () => list(),
      listNamespaced: (ns) => list(ns),
      namespaces: [namespace],
    },
    log.child({ watch: plural }),
  );
}

export class ClusterResources {
  readonly namespace: string;
  private readonly topicCache: Watched<PlatformResource>;
  private readonly groupCache: Watched<PlatformResource>;
  private readonly timelines = new Map<string, GroupTimeline>();
  private readonly historyMs: number;
  private readonly now: () => number;
  private started = false;

  constructor({
    kc,
    namespace,
    historyMs,
    log,
    now = Date.now,
  }: { kc: KubeConfig; namespace: string; historyMs: number; log: Logger; now?: () => number }) {
    this.namespace = namespace;
    this.historyMs = historyMs;
    this.now = now;
    this.topicCache = watchedKind(kc, namespace, 'topics', log);
    this.groupCache = watchedKind(kc, namespace, 'consumergroups', log);
    this.groupCache.onChange((object, deleted) => {
      const name = object.metadata?.name ?? '';
      if (deleted) return void this.timelines.delete(name);
      const reading = readingOf(object.status, this.now());
      if (!reading) return;
      const timeline = this.timelines.get(name) ?? new GroupTimeline({ windowMs: this.historyMs });
      this.timelines.set(name, timeline);
      timeline.observe(reading);
    });
  }

  /** Lists both kinds (retrying until the API server answers) and keeps watching them. */
  async start(): Promise<void> {
    await Promise.all([this.topicCache.start(), this.groupCache.start()]);
    this.started = true;
  }

  get ready(): boolean {
    return this.started;
  }

  topics(): PlatformResource[] {
    return this.topicCache.list().sort(byName);
  }

  topic(name: string): PlatformResource | undefined {
    return this.topicCache.get(this.namespace, name);
  }

  groups(): PlatformResource[] {
    return this.groupCache.list().sort(byName);
  }

  group(name: string): PlatformResource | undefined {
    return this.groupCache.get(this.namespace, name);
  }

  timeline(name: string) {
    return (this.timelines.get(name) ?? new GroupTimeline({ windowMs: this.historyMs })).view(this.now());
  }

  async stop(): Promise<void> {
    await Promise.all([this.topicCache.stop(), this.groupCache.stop()]);
  }
}

const byName = (a: KubernetesObject, b: KubernetesObject) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
