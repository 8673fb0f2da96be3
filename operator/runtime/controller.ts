import type { Logger } from '../../lib/log.ts';
import { inSpan, ROOT_CONTEXT } from '../../lib/tracing.ts';
import type { OperatorMetrics } from './metrics.ts';
import { WorkQueue } from './workqueue.ts';

export interface ReconcileResult {
  /** Come back after this long even if nothing changes (e.g. a poll interval). */
  requeueAfterMs?: number;
}

export interface Reconciler {
  readonly name: string;
  /**
   * Reads the world as it is now and converges it on the spec, whatever event woke it; safe to
   * call again at any time. A thrown error re-queues the key with backoff.
   */
  reconcile(key: string, log: Logger): Promise<ReconcileResult | undefined>;
  /** Every key the controller should look at, for the periodic resync. */
  keys(): string[];
}

/**
 * Runs one reconciler: a de-duplicating queue fed by watch events and a periodic resync, drained
 * by `workers` concurrent workers. The queue never hands one key to two workers, so a key is
 * reconciled by one worker at a time while different keys proceed in parallel.
 */
export class ControllerLoop {
  readonly queue = new WorkQueue();
  private readonly reconciler: Reconciler;
  private readonly metrics: OperatorMetrics;
  private readonly log: Logger;
  private readonly resyncMs: number;
  private readonly workers: number;
  private running: Promise<void>[] = [];
  private resync: NodeJS.Timeout | undefined;
  /** Key → when its requested requeue falls due, to measure how late the reconcile came. */
  private readonly due = new Map<string, number>();

  constructor(reconciler: Reconciler, metrics: OperatorMetrics, log: Logger, resyncMs: number, workers = 1) {
    this.reconciler = reconciler;
    this.metrics = metrics;
    this.log = log.child({ controller: reconciler.name });
    this.resyncMs = resyncMs;
    this.workers = workers;
  }

  enqueue(key: string): void {
    this.queue.add(key);
    this.metrics.queueDepth.set({ controller: this.reconciler.name }, this.queue.depth);
  }

  start(): void {
    for (const key of this.reconciler.keys()) this.enqueue(key);
    this.resync = setInterval(() => {
      for (const key of this.reconciler.keys()) this.enqueue(key);
    }, this.resyncMs);
    this.resync.unref();
    this.running = Array.from({ length: this.workers }, () => this.work());
  }

  private async work(): Promise<void> {
    const controller = this.reconciler.name;
    for (;;) {
      const key = await this.queue.get();
      this.metrics.queueDepth.set({ controller }, this.queue.depth);
      if (key === undefined) return;
      const dueAt = this.due.get(key);
      if (dueAt !== undefined) {
        this.due.delete(key);
        this.metrics.pollLateness.observe({ controller }, Math.max(0, Date.now() - dueAt) / 1000);
      }
      const log = this.log.child({ key });
      const stopTimer = this.metrics.reconcileDuration.startTimer({ controller });
      try {
        // Each reconcile is a trace of its own, its Kubernetes and Kafka calls below it.
        const result = await inSpan(
          `reconcile ${controller}`,
          { parent: ROOT_CONTEXT, attributes: { 'eventide.controller': controller, 'eventide.key': key } },
          () => this.reconciler.reconcile(key, log),
        );
        this.queue.forget(key);
        this.metrics.retryDelay.remove({ controller, key });
        this.metrics.reconciles.inc({ controller, result: 'success' });
        if (result?.requeueAfterMs !== undefined) {
          this.due.set(key, Date.now() + result.requeueAfterMs);
          this.queue.addAfter(key, result.requeueAfterMs);
        }
      } catch (error) {
        const delay = this.queue.addRateLimited(key);
        this.metrics.reconciles.inc({ controller, result: 'error' });
        this.metrics.retries.inc({ controller });
        this.metrics.retryDelay.set({ controller, key }, delay / 1000);
        log.error({ err: error, retryInMs: delay, attempt: this.queue.retries(key) }, 'reconcile failed');
      } finally {
        stopTimer();
        this.queue.done(key);
      }
    }
  }

  /** Takes no new keys, lets the reconciles in flight finish. */
  async stop(): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    this.queue.shutdown();
    await Promise.all(this.running);
  }
}
