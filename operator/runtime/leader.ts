import { ApiException, type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from '../../lib/log.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
}

const notFound = (error: unknown) => error instanceof ApiException && error.code === 404;
const conflict = (error: unknown) => error instanceof ApiException && error.code === 409;

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews every
 * third of the lease duration; anyone may take a lease not renewed within its duration; writes are
 * conditional on resourceVersion, so two candidates can never both win. A leader that cannot renew
 * before its lease runs out stops leading (the process then exits and starts clean).
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly options: LeaderElectionOptions;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  onStartedLeading: () => void = () => {};
  onStoppedLeading: () => void = () => {};

  constructor(api: CoordinationV1Api, options: LeaderElectionOptions, log: Logger) {
    this.api = api;
    this.options = options;
    this.log = log.child({ lease: `${options.namespace}/${options.name}` });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    const period = (this.options.leaseDurationSeconds * 1000) / (this.leading ? 3 : 4);
    this.timer = setTimeout(() => void this.tick(), period);
  }

  private async tick(): Promise<void> {
    try {
      const won = await this.tryAcquireOrRenew();
      if (won) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info('became leader');
          this.onStartedLeading();
        }
      } else if (this.leading) {
        this.lose('another replica holds the lease');
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not read or renew the lease');
      if (this.leading && Date.now() - this.lastRenew > this.options.leaseDurationSeconds * 1000)
        this.lose('lease expired without renewal');
    }
    this.schedule();
  }

  private lose(why: string): void {
    this.leading = false;
    this.log.warn({ why }, 'lost leadership');
    this.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.options;
    // Lease times are MicroTime: six fractional digits, which a plain Date does not serialize to.
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!notFound(error)) throw error;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
          },
        });
        return true;
      } catch (createError) {
        if (conflict(createError)) return false;
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    if (holder !== identity && holder !== '' && !expired) return false;
    const taking = holder !== identity;
    try {
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: taking ? now : spec.acquireTime,
            renewTime: now,
            leaseTransitions: (spec.leaseTransitions ?? 0) + (taking ? 1 : 0),
          },
        },
      });
      return true;
    } catch (error) {
      if (conflict(error)) return false;
      throw error;
    }
  }

  /** Gives the lease up at once, so a standby takes over without waiting for it to expire. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const { namespace, name } = this.options;
    try {
      const lease = await this.api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      await this.api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
        },
      });
      this.log.info('released the lease');
    } catch (error) {
      this.log.warn({ err: error }, 'could not release the lease; it will expire');
    }
  }
}
