/**
 * One Pod's container as a local process, kept the way a kubelet keeps it: env resolved at each
 * start, startup/readiness/liveness probes as declared, restarts with the crash-loop back-off,
 * SIGTERM and the grace period when the Pod goes away. Every change is reported as a PodView.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { repoRoot } from '../../shared/versions.ts';
import { type Launched, launch } from '../process.ts';
import { ContainerConfigError } from './pod-env.ts';
import { type ContainerView, type PodView, termination } from './pod-status.ts';
import { ProbeCounter, probeTiming, type RestartBackoff, restartDelayMs } from './probe-state.ts';
import type { LocalProgram } from './program.ts';

export interface PodProcessOptions {
  /** namespace/name, for logs and messages. */
  podKey: string;
  container: V1Container;
  program: LocalProgram;
  /** The container's environment, read again at every start as a kubelet does. */
  env: () => Promise<Record<string, string>>;
  /** Container port → the local port this Pod got for it. */
  ports: Map<number, number>;
  logFile: string;
  /** The Pod's terminationGracePeriodSeconds, for a restart after a failed liveness probe. */
  graceMs: number;
  backoff: RestartBackoff;
  onChange: (view: PodView) => void;
  /** A process exited or failed its liveness probe and will be started again. */
  onRestart?: (event: { podKey: string; restartCount: number; exit: string; delayMs: number }) => void;
}

export class PodProcess {
  private readonly stopping = new AbortController();
  private current: Launched | undefined;
  private readonly startTime = new Date();
  private state: PodView;
  private done: Promise<void> | undefined;

  private readonly options: PodProcessOptions;

  constructor(options: PodProcessOptions) {
    this.options = options;
    this.state = {
      containerName: options.container.name,
      image: options.container.image ?? '',
      startTime: this.startTime,
      container: { state: 'waiting', reason: 'ContainerCreating' },
      restartCount: 0,
      readySince: this.startTime,
    };
  }

  get view(): PodView {
    return this.state;
  }

  get pid(): number | undefined {
    return this.current && !this.current.hasExited() ? this.current.pid : undefined;
  }

  start(): void {
    this.done ??= this.run();
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async terminate(graceMs: number): Promise<void> {
    this.stopping.abort();
    await this.current?.stop(graceMs);
    await this.done;
  }

  private update(container: ContainerView, extra: Partial<PodView> = {}): void {
    const wasReady = this.state.container.state === 'running' && this.state.container.ready;
    const isReady = container.state === 'running' && container.ready;
    this.state = { ...this.state, ...extra, container, readySince: wasReady === isReady ? this.state.readySince : new Date() };
    this.options.onChange(this.state);
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let backoffCount = 0;
    while (!signal.aborted) {
      let env: Record<string, string>;
      try {
        env = await this.options.env();
      } catch (error) {
        const reason = error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        this.update({ state: 'waiting', reason, message: error instanceof Error ? error.message : String(error) });
        await sleep(2_000, undefined, { signal }).catch(() => undefined);
        continue;
      }
      const startedAt = new Date();
      const proc = launch({
        name: this.options.podKey,
        command: process.execPath,
        args: [this.options.program.entry, ...this.options.program.args],
        cwd: repoRoot,
        logFile: this.options.logFile,
        env,
      });
      this.current = proc;
      const probes = new AbortController();
      const unhealthy = this.watchProbes(startedAt, probes.signal);
      const outcome = await Promise.race([proc.exited.then((exit) => ({ exit })).catch((e: Error) => ({ exit: e.message })), unhealthy]);
      probes.abort();
      let exit: number | string;
      if ('livenessFailed' in outcome) {
        await proc.stop(this.options.graceMs);
        exit = await proc.exited.catch(() => 'error');
      } else {
        exit = outcome.exit;
      }
      if (signal.aborted) break;
      const finishedAt = new Date();
      if (finishedAt.getTime() - startedAt.getTime() >= this.options.backoff.resetAfterMs) backoffCount = 0;
      backoffCount++;
      const delayMs = restartDelayMs(backoffCount, this.options.backoff);
      const last = termination(exit, startedAt, finishedAt);
      const why = 'livenessFailed' in outcome ? `liveness probe failed (${exit})` : `exited (${exit})`;
      this.update(
        {
          state: 'waiting',
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container: ${why}`,
        },
        { restartCount: this.state.restartCount + 1, lastTermination: last },
      );
      this.options.onRestart?.({ podKey: this.options.podKey, restartCount: this.state.restartCount, exit: why, delayMs });
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Runs the container's probes; resolves when liveness (or startup) gives up on the process. */
  private watchProbes(startedAt: Date, signal: AbortSignal): Promise<{ livenessFailed: true }> {
    const { startupProbe, readinessProbe, livenessProbe } = this.options.container;
    let ready = false;
    let started = false;
    const publish = () => !signal.aborted && this.update({ state: 'running', startedAt, started, ready });
    publish();
    return new Promise((resolveFailure) => {
      const afterStart = () => {
        started = true;
        if (!readinessProbe) ready = true;
        publish();
        if (readinessProbe)
          void this.probeLoop(readinessProbe, signal, (verdict) => {
            if (verdict !== ready) {
              ready = verdict;
              publish();
            }
          });
        if (livenessProbe) void this.probeLoop(livenessProbe, signal, (verdict) => !verdict && resolveFailure({ livenessFailed: true }));
      };
      if (!startupProbe) afterStart();
      else
        void this.probeLoop(startupProbe, signal, (verdict, stop) => {
          stop();
          if (verdict) afterStart();
          else resolveFailure({ livenessFailed: true });
        });
    });
  }

  private async probeLoop(probe: V1Probe, signal: AbortSignal, onVerdict: (verdict: boolean, stop: () => void) => void): Promise<void> {
    const timing = probeTiming(probe);
    const counter = new ProbeCounter(timing);
    let last: boolean | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
    };
    await sleep(timing.initialDelayMs, undefined, { signal }).catch(() => undefined);
    while (!signal.aborted && !stopped) {
      const ok = await this.probeOnce(probe, timing.timeoutMs);
      const verdict = counter.record(ok);
      if (verdict !== undefined && verdict !== last) {
        last = verdict;
        onVerdict(verdict, stop);
      } else if (verdict === false) {
        onVerdict(verdict, stop);
      }
      await sleep(timing.periodMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private localPort(port: number | string | undefined): number {
    const declared = typeof port === 'string' ? this.options.container.ports?.find((p) => p.name === port)?.containerPort : port;
    const local = declared === undefined ? undefined : this.options.ports.get(declared);
    if (local === undefined) throw new Error(`probe port ${String(port)} is not a declared container port`);
    return local;
  }

  private async probeOnce(probe: V1Probe, timeoutMs: number): Promise<boolean> {
    try {
      if (probe.httpGet) {
        const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
        const url = `${scheme}://127.0.0.1:${this.localPort(probe.httpGet.port)}${probe.httpGet.path ?? '/'}`;
        const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
        const response = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return response.status >= 200 && response.status < 400;
      }
      if (probe.tcpSocket) {
        const port = this.localPort(probe.tcpSocket.port);
        return await new Promise<boolean>((resolveProbe) => {
          const socket = connect({ host: '127.0.0.1', port, timeout: timeoutMs });
          const settle = (ok: boolean) => {
            socket.destroy();
            resolveProbe(ok);
          };
          socket.once('connect', () => settle(true));
          socket.once('error', () => settle(false));
          socket.once('timeout', () => settle(false));
        });
      }
      return false;
    } catch {
      return false;
    }
  }
}
