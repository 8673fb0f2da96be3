/**
 * Watches scaling from the outside: the consumer group's lag as Kafka reports it and the
 * search-indexer Deployment's replicas as the API server reports them, once a second.
 */
import type { AppsV1Api } from '@kubernetes/client-node';
import { KafkaLag } from '../../operator/kafka/lag.ts';
import { partitionLag } from '../../operator/scaling/rule.ts';
import { type Repeating, repeat } from './repeat.ts';

export interface ScalingSample {
  at: number;
  /** Total lag of the group, or undefined when Kafka did not answer. */
  lag: number | undefined;
  /** spec.replicas of the Deployment (what the operator asked for). */
  replicas: number | undefined;
  /** status.readyReplicas (what runs and is ready). */
  ready: number | undefined;
}

export interface ScalingTimeline {
  loadStart: number;
  loadEnd: number;
  /** First sample with lag above the threshold. */
  lagRose?: number;
  peakLag: number;
  /** First sample with more replicas than at the start. */
  scaledUp?: number;
  peakReplicas: number;
  /** First sample after the scale-up with lag back at or below the drained level. */
  drained?: number;
  /** First sample after the load with replicas back at the starting count. */
  scaledDown?: number;
  startReplicas: number;
}

/**
 * Reads the phases "load → scale up → drain → scale down" out of samples. Pure: the e2e test
 * and `make load` both print what happened, not what was supposed to.
 */
export function scalingTimeline(
  samples: readonly ScalingSample[],
  load: { start: number; end: number },
  thresholds: { lag: number; drainedLag: number },
): ScalingTimeline {
  const startReplicas = samples.find((s) => s.replicas !== undefined)?.replicas ?? 0;
  const t: ScalingTimeline = { loadStart: load.start, loadEnd: load.end, peakLag: 0, peakReplicas: startReplicas, startReplicas };
  for (const s of samples) {
    if (s.lag !== undefined) t.peakLag = Math.max(t.peakLag, s.lag);
    if (s.replicas !== undefined) t.peakReplicas = Math.max(t.peakReplicas, s.replicas);
    if (t.lagRose === undefined && s.lag !== undefined && s.lag > thresholds.lag) t.lagRose = s.at;
    if (t.scaledUp === undefined && s.replicas !== undefined && s.replicas > startReplicas) t.scaledUp = s.at;
    if (t.scaledUp !== undefined && t.drained === undefined && s.at > t.scaledUp && s.lag !== undefined && s.lag <= thresholds.drainedLag)
      t.drained = s.at;
    if (
      t.scaledUp !== undefined &&
      t.scaledDown === undefined &&
      s.at > load.end &&
      s.replicas !== undefined &&
      s.replicas <= startReplicas
    )
      t.scaledDown = s.at;
  }
  return t;
}

/** The timeline as lines of text in the order things happened, seconds from the start of the load. */
export function describeTimeline(t: ScalingTimeline): string[] {
  const steps: [string, number | undefined, string][] = [
    ['load started', t.loadStart, `replicas ${t.startReplicas}`],
    ['lag rose above threshold', t.lagRose, `peak lag ${t.peakLag}`],
    ['scaled up', t.scaledUp, `peak replicas ${t.peakReplicas}`],
    ['lag drained', t.drained, ''],
    ['load stopped', t.loadEnd, ''],
    ['scaled back down', t.scaledDown, `replicas ${t.startReplicas}`],
  ];
  const seen = steps.filter(([, at]) => at !== undefined).sort((a, b) => (a[1] as number) - (b[1] as number));
  const unseen = steps.filter(([, at]) => at === undefined);
  return [...seen, ...unseen].map(([what, at, detail]) => {
    const when = at === undefined ? 'not seen' : `t=${((at - t.loadStart) / 1000).toFixed(1)} s`;
    return `${what.padEnd(26)}${when.padEnd(11)}${detail ? `(${detail})` : ''}`.trimEnd();
  });
}

export interface ObserverOptions {
  brokers: string[];
  apps: AppsV1Api;
  namespace: string;
  deployment: string;
  groupId: string;
  topic: string;
  intervalMs?: number;
  onSample?: (s: ScalingSample) => void;
}

export class ScalingObserver {
  readonly samples: ScalingSample[] = [];
  private readonly lag: KafkaLag;
  private repeating?: Repeating;

  private readonly options: ObserverOptions;

  constructor(options: ObserverOptions) {
    this.options = options;
    this.lag = new KafkaLag(options.brokers, { clientId: 'eventide-scaling-observer' });
  }

  async sample(): Promise<ScalingSample> {
    const { apps, namespace, deployment, groupId, topic } = this.options;
    const [offsets, scale] = await Promise.all([
      this.lag.offsets(groupId, [topic]).catch(() => undefined),
      apps.readNamespacedDeployment({ namespace, name: deployment }).catch(() => undefined),
    ]);
    const s: ScalingSample = {
      at: Date.now(),
      lag: offsets?.reduce((sum, p) => sum + partitionLag(p, 'earliest'), 0),
      replicas: scale?.spec?.replicas,
      ready: scale?.status?.readyReplicas ?? (scale ? 0 : undefined),
    };
    this.samples.push(s);
    this.options.onSample?.(s);
    return s;
  }

  start(): void {
    this.repeating = repeat(() => this.sample(), this.options.intervalMs ?? 1_000);
  }

  async stop(): Promise<void> {
    await this.repeating?.stop();
    await this.lag.close();
  }
}
