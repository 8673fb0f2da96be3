/**
 * A Pod's status as the kubelet reports it, computed from what the agent knows about its one
 * container. Pure, so the phases and conditions the Deployment controller reads are unit tested.
 */
import type { V1ContainerState, V1ContainerStatus, V1PodCondition, V1PodStatus } from '@kubernetes/client-node';

export type ContainerView =
  | { state: 'waiting'; reason: string; message?: string }
  | { state: 'running'; startedAt: Date; started: boolean; ready: boolean };

export interface LastTermination {
  exitCode: number;
  signal?: string;
  reason: string;
  startedAt: Date;
  finishedAt: Date;
}

export interface PodView {
  containerName: string;
  image: string;
  startTime: Date;
  container: ContainerView;
  restartCount: number;
  lastTermination?: LastTermination;
  /** When Ready last changed, for the condition's lastTransitionTime. */
  readySince: Date;
}

/** The exit of a process as a container's terminated state: 128+n for a signal, as a runtime reports it. */
export function termination(exit: number | string, startedAt: Date, finishedAt: Date): LastTermination {
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  if (typeof exit === 'number') return { exitCode: exit, reason: exit === 0 ? 'Completed' : 'Error', startedAt, finishedAt };
  return { exitCode: 128 + (signals[exit] ?? 0), signal: exit, reason: 'Error', startedAt, finishedAt };
}

export function podStatus(view: PodView): V1PodStatus {
  const c = view.container;
  const running = c.state === 'running';
  const ready = running && c.ready;
  const state: V1ContainerState = running
    ? { running: { startedAt: c.startedAt } }
    : { waiting: { reason: c.reason, ...(c.message ? { message: c.message } : {}) } };
  const last = view.lastTermination;
  const containerStatus: V1ContainerStatus = {
    name: view.containerName,
    image: view.image,
    imageID: '',
    ready,
    started: running && c.started,
    restartCount: view.restartCount,
    state,
    lastState: last
      ? {
          terminated: {
            exitCode: last.exitCode,
            reason: last.reason,
            startedAt: last.startedAt,
            finishedAt: last.finishedAt,
            ...(last.signal ? { message: `killed by ${last.signal}` } : {}),
          },
        }
      : {},
  };
  const condition = (type: string, status: boolean, since: Date): V1PodCondition => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: undefined,
    lastTransitionTime: since,
  });
  const everStarted = running || view.restartCount > 0;
  return {
    phase: everStarted ? 'Running' : 'Pending',
    hostIP: '127.0.0.1',
    podIP: '127.0.0.1',
    podIPs: [{ ip: '127.0.0.1' }],
    startTime: view.startTime,
    conditions: [
      condition('PodScheduled', true, view.startTime),
      condition('Initialized', true, view.startTime),
      condition('ContainersReady', ready, view.readySince),
      condition('Ready', ready, view.readySince),
    ],
    containerStatuses: [containerStatus],
  };
}
