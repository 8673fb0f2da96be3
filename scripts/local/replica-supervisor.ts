import { ApiException, type AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Launched } from '../../devkit/process.ts';
import { type Repeating, repeat } from './repeat.ts';

/** One replica: a process and the port its /readyz answers on. */
export interface Replica {
  readonly id: number;
  readonly process: Launched;
  readonly port: number;
  ready: boolean;
}

export interface ReplicaPlan {
  start: number;
  /** Replicas to SIGTERM: the newest first, as a ReplicaSet prefers the youngest pods. */
  stop: number[];
}

/** What to do to get from the running replicas to the desired count. Pure. */
export function planReplicas(running: readonly { id: number; ready: boolean }[], desired: number): ReplicaPlan {
  if (running.length < desired) return { start: desired - running.length, stop: [] };
  const excess = running.length - desired;
  // Not-ready replicas go first (they serve nothing yet), then the youngest.
  const order = [...running].sort((a, b) => Number(a.ready) - Number(b.ready) || b.id - a.id);
  return { start: 0, stop: order.slice(0, excess).map((r) => r.id) };
}

/** A replica whose process ended by itself, and what took its place. */
export interface ReplicaDeath {
  name: string;
  pid: number;
  /** The exit code, the signal's name, or why the process could not start. */
  exit: number | string | Error;
  /** The replica started in its place; none when the Deployment wants fewer now. */
  replacement?: string;
}

/** One log line for a replica that died. Pure. */
export function describeReplacement(death: ReplicaDeath): string {
  const { exit } = death;
  const how =
    exit instanceof Error
      ? `failed: ${exit.message}`
      : typeof exit === 'number'
        ? `exited with code ${exit}`
        : exit.startsWith('SIG')
          ? `was killed by ${exit}`
          : `exited (${exit})`;
  const then = death.replacement ? `started ${death.replacement} in its place` : 'not replaced: the Deployment wants fewer replicas now';
  return `${death.name} (pid ${death.pid}) ${how}; ${then}`;
}

export interface SupervisorOptions {
  apps: AppsV1Api;
  namespace: string;
  deployment: string;
  /** Starts replica number `id` listening for health on `port`. */
  spawn: (id: number, port: number) => Launched;
  freePort: () => Promise<number>;
  intervalMs?: number;
  onChange?: (change: { at: number; desired: number; running: number }) => void;
  /** Called for each replica that died without being asked to stop, after its replacement started. */
  onReplicaDied?: (death: ReplicaDeath) => void;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Local mode's stand-in for the Deployment and ReplicaSet controllers: keeps as many processes
 * running as the Deployment's spec.replicas in the API server, replaces replicas that die, and
 * writes the counts back to the Deployment's status so kubectl shows what runs.
 */
export class ReplicaSupervisor {
  private readonly options: Required<Omit<SupervisorOptions, 'onChange' | 'onReplicaDied'>> &
    Pick<SupervisorOptions, 'onChange' | 'onReplicaDied'>;
  private readonly replicas = new Map<number, Replica>();
  private readonly stopping = new Set<Promise<void>>();
  private nextId = 0;
  private repeating?: Repeating;
  private lastStatus = '';
  private lastDesired = -1;
  /** The last error reading the Deployment, for the status line; cleared by a good read. */
  lastError?: string;

  constructor(options: SupervisorOptions) {
    this.options = { intervalMs: 500, ...options };
  }

  get running(): number {
    return this.replicas.size;
  }

  get readyCount(): number {
    return [...this.replicas.values()].filter((r) => r.ready).length;
  }

  list(): Replica[] {
    return [...this.replicas.values()];
  }

  start(): void {
    this.repeating = repeat(() => this.tick(), this.options.intervalMs);
  }

  /** Stops supervising and SIGTERMs every replica (each finishes its batch and leaves the group). */
  async stop(): Promise<void> {
    await this.repeating?.stop();
    await Promise.allSettled([...this.replicas.values()].map((r) => r.process.stop()));
    await Promise.allSettled(this.stopping);
    this.replicas.clear();
  }

  /** One pass: read the desired count, start or stop processes, report status. */
  async tick(): Promise<void> {
    const { apps, namespace, deployment } = this.options;
    let desired: number;
    let generation: number | undefined;
    try {
      const d = await apps.readNamespacedDeployment({ namespace, name: deployment });
      desired = d.spec?.replicas ?? 1;
      generation = d.metadata?.generation;
      this.lastError = undefined;
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) {
        // The API server is unreachable: keep what runs, as a kubelet keeps its pods.
        this.lastError = error instanceof Error ? error.message : String(error);
        return;
      }
      desired = 0;
    }
    // Replicas asked to stop left the map already: whatever exited here died on its own.
    const died: Replica[] = [];
    for (const [id, replica] of this.replicas)
      if (replica.process.hasExited()) {
        this.replicas.delete(id);
        died.push(replica);
      }

    const plan = planReplicas(this.list(), desired);
    const started: string[] = [];
    for (let i = 0; i < plan.start; i++) {
      const id = this.nextId++;
      const port = await this.options.freePort();
      const launched = this.options.spawn(id, port);
      this.replicas.set(id, { id, port, process: launched, ready: false });
      started.push(launched.name);
    }
    for (const [i, replica] of died.entries()) {
      const exit = await replica.process.exited.catch((error: Error) => error);
      this.options.onReplicaDied?.({ name: replica.process.name, pid: replica.process.pid, exit, replacement: started[i] });
    }
    for (const id of plan.stop) {
      const replica = this.replicas.get(id);
      if (!replica) continue;
      this.replicas.delete(id);
      const stopped = replica.process.stop().finally(() => this.stopping.delete(stopped));
      this.stopping.add(stopped);
    }
    await Promise.all(
      this.list()
        .filter((r) => !r.ready)
        .map(async (r) => {
          r.ready = await fetch(`http://127.0.0.1:${r.port}/readyz`, { signal: AbortSignal.timeout(1_000) })
            .then((res) => res.ok)
            .catch(() => false);
        }),
    );
    if (desired !== this.lastDesired) {
      this.lastDesired = desired;
      this.options.onChange?.({ at: Date.now(), desired, running: this.running });
    }
    if (generation !== undefined) await this.writeStatus(generation);
  }

  private async writeStatus(generation: number): Promise<void> {
    const ready = this.readyCount;
    const status = {
      observedGeneration: generation,
      replicas: this.running,
      updatedReplicas: this.running,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, this.running - ready),
    };
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    await this.options.apps.patchNamespacedDeploymentStatus(
      { namespace: this.options.namespace, name: this.options.deployment, body: { status } },
      mergePatch,
    );
    this.lastStatus = key;
  }
}
