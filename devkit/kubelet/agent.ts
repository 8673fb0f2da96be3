/**
 * The local node agent (a "process kubelet"): registers a Node with its Lease heartbeat and does
 * for the Pods the scheduler binds to it what a kubelet does, with local processes instead of
 * containers. Eventide Pods run their image's entry point from this repository; the chart's
 * infrastructure Pods are answered for by the local servers (stand-ins); anything else waits as
 * not runnable here. Pod status is written back, so Kubernetes' own controllers do the rest.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  V1MicroTime,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import { freePort } from '../ports.ts';
import { localEnv, type ServiceAddress } from './address-map.ts';
import { containerEnv, referencedObjects } from './pod-env.ts';
import { PodProcess } from './pod-process.ts';
import { type PodView, podStatus } from './pod-status.ts';
import { kubeletBackoff, type RestartBackoff } from './probe-state.ts';
import { localProgram } from './program.ts';
import { bindPendingClaims, type StandIn } from './stand-ins.ts';

export interface NodeAgentOptions {
  kc: KubeConfig;
  /** Default "eventide-local". */
  nodeName?: string;
  /** Pod logs (<namespace>_<pod>.log, appended across restarts) and volumes go here. */
  dir: string;
  /** The address table (address-map.ts). */
  services: ServiceAddress[];
  standIns: StandIn[];
  /** Crash-loop back-off; default the kubelet's (10 s doubling to 5 min). */
  backoff?: RestartBackoff;
  /** How often Pods are listed; default 500 ms. */
  syncMs?: number;
  onRestart?: (event: { podKey: string; restartCount: number; exit: string; delayMs: number }) => void;
}

interface Worker {
  pod: V1Pod;
  view: PodView;
  /** Local port per container port, for clients of this Pod (tests, make dev). */
  ports: Map<number, number>;
  process?: PodProcess;
  standIn?: { stop(): void };
  terminating?: Promise<void>;
  written?: string;
  writing?: Promise<void>;
}

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const key = (pod: V1Pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

export class NodeAgent {
  readonly nodeName: string;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly workers = new Map<string, Worker>();
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];

  private readonly options: NodeAgentOptions;

  constructor(options: NodeAgentOptions) {
    this.options = options;
    this.nodeName = options.nodeName ?? 'eventide-local';
    this.core = options.kc.makeApiClient(CoreV1Api);
    this.coordination = options.kc.makeApiClient(CoordinationV1Api);
  }

  async start(): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true });
    await this.registerNode();
    this.loops = [this.every(10_000, () => this.heartbeat()), this.every(this.options.syncMs ?? 500, () => this.syncPods())];
    this.loops.push(this.every(2_000, () => bindPendingClaims(this.options.kc, join(this.options.dir, 'volumes'))));
  }

  /** Stops every Pod's process with its grace period, as a node drain would, then the loops. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled(this.loops);
    await Promise.allSettled(
      [...this.workers.values()].map(async (w) => {
        w.standIn?.stop();
        await w.process?.terminate(this.graceMs(w.pod));
      }),
    );
  }

  /** Running Pods of an app (app.kubernetes.io/name) with their local ports and process ids. */
  pods(app?: string): { name: string; namespace: string; ready: boolean; restarts: number; pid?: number; ports: Map<number, number> }[] {
    return [...this.workers.values()]
      .filter((w) => !app || w.pod.metadata?.labels?.['app.kubernetes.io/name'] === app)
      .filter((w) => !w.terminating)
      .map((w) => ({
        name: w.pod.metadata?.name ?? '',
        namespace: w.pod.metadata?.namespace ?? '',
        ready: w.view.container.state === 'running' && w.view.container.ready,
        restarts: w.view.restartCount,
        pid: w.process?.pid,
        ports: w.ports,
      }));
  }

  /** The agent's own log (<dir>/agent.log): what it did and every API call that failed. */
  private log(message: string, error?: unknown): void {
    const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
    appendFileSync(join(this.options.dir, 'agent.log'), `${new Date().toISOString()} ${message}${detail}\n`);
  }

  private async every(ms: number, fn: () => Promise<void>): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await fn().catch((error: unknown) => this.log(`${fn.name || 'loop'} failed`, error));
      await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  private nodeStatus(): V1Node['status'] {
    const now = new Date();
    const capacity = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024 / 1024)}Mi`, pods: '110' };
    return {
      capacity,
      allocatable: capacity,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.nodeName },
      ],
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'local node agent is posting ready status',
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastHeartbeatTime: now, lastTransitionTime: now },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
      nodeInfo: {
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        operatingSystem: 'linux',
        kubeletVersion: 'eventide-local-agent',
        kubeProxyVersion: '',
        containerRuntimeVersion: `node://${process.versions.node}`,
        kernelVersion: '',
        osImage: 'local processes',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    };
  }

  private async registerNode(): Promise<void> {
    const labels = { 'kubernetes.io/hostname': this.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };
    await this.core.createNode({ body: { metadata: { name: this.nodeName, labels } } }).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
    await this.postNodeStatus();
  }

  private async postNodeStatus(): Promise<void> {
    await this.core.patchNodeStatus({ name: this.nodeName, body: { status: this.nodeStatus() } }, strategicMerge);
  }

  /** The Lease the node lifecycle controller reads (kube-node-lease/<node>), and the Ready status. */
  private async heartbeat(): Promise<void> {
    const namespace = 'kube-node-lease';
    // A Lease's times are MicroTime: a plain Date serializes with milliseconds and is refused.
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: 40, renewTime: new V1MicroTime() };
    const lease = await this.coordination.readNamespacedLease({ name: this.nodeName, namespace }).catch(() => undefined);
    if (!lease) {
      const node = await this.core.readNode({ name: this.nodeName });
      await this.coordination.createNamespacedLease({
        namespace,
        body: {
          metadata: {
            name: this.nodeName,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata?.uid ?? '' }],
          },
          spec,
        },
      });
    } else {
      await this.coordination.replaceNamespacedLease({
        name: this.nodeName,
        namespace,
        body: { ...lease, spec: { ...lease.spec, ...spec } },
      });
    }
    await this.postNodeStatus();
  }

  private graceMs(pod: V1Pod): number {
    return (pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private async syncPods(): Promise<void> {
    const list = await this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.nodeName}` });
    const seen = new Set<string>();
    for (const pod of list.items) {
      const uid = pod.metadata?.uid ?? '';
      seen.add(uid);
      const worker = this.workers.get(uid);
      if (worker) worker.pod = pod;
      if (pod.metadata?.deletionTimestamp) {
        if (worker && !worker.terminating) worker.terminating = this.terminate(uid, worker);
        else if (!worker) await this.finalDelete(pod);
        continue;
      }
      if (!worker && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') await this.admit(pod);
      // A write that failed (API server paused, say) is retried here until it lands.
      else if (worker) void this.writeStatus(worker);
    }
    // Pods deleted with no grace are gone from the API already: their processes go at once.
    for (const [uid, worker] of this.workers) {
      if (seen.has(uid)) continue;
      this.workers.delete(uid);
      worker.standIn?.stop();
      void worker.process?.terminate(0);
    }
  }

  private async terminate(uid: string, worker: Worker): Promise<void> {
    this.log(`pod ${key(worker.pod)} is being deleted: stopping it within ${this.graceMs(worker.pod) / 1000} s`);
    worker.standIn?.stop();
    await worker.process?.terminate(this.graceMs(worker.pod));
    this.workers.delete(uid);
    await this.finalDelete(worker.pod);
  }

  /** What the kubelet does once the containers are gone: the Pod object goes for good. */
  private async finalDelete(pod: V1Pod): Promise<void> {
    await this.core
      .deleteNamespacedPod({
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        gracePeriodSeconds: 0,
        // The body's options replace the query's, so the grace period goes in both.
        body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } },
      })
      .then(() => this.log(`pod ${key(pod)} deleted`))
      .catch((error: unknown) => this.log(`final delete of pod ${key(pod)} failed`, error));
  }

  /**
   * A free port that no Pod of this agent holds: a Pod's process binds its port only once it has
   * started, so until then the OS may hand the same free port out again — seen: teachers given the
   * catalog's port, crash-looping on EADDRINUSE while its probes, answered by the catalog, said Ready.
   */
  private async podPort(own: Map<number, number>): Promise<number> {
    const taken = new Set([...own.values(), ...[...this.workers.values()].flatMap((w) => [...w.ports.values()])]);
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return port;
    }
  }

  private async admit(pod: V1Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const container = pod.spec?.containers[0];
    if (!container) return;
    const ports = new Map<number, number>();
    for (const port of container.ports ?? []) ports.set(port.containerPort, await this.podPort(ports));
    const start = new Date();
    const worker: Worker = {
      pod,
      ports,
      view: {
        containerName: container.name,
        image: container.image ?? '',
        startTime: start,
        container: { state: 'waiting', reason: 'ContainerCreating' },
        restartCount: 0,
        readySince: start,
      },
    };
    this.workers.set(uid, worker);
    const publish = (view: PodView) => {
      worker.view = view;
      void this.writeStatus(worker);
    };
    const app = pod.metadata?.labels?.['app.kubernetes.io/name'];
    const standIn = this.options.standIns.find((s) => s.app === app);
    if (standIn) {
      worker.standIn = this.runStandIn(pod, standIn, worker, publish);
      return;
    }
    const lookup =
      (pod.spec?.containers.length ?? 0) > 1 || pod.spec?.initContainers?.length
        ? { unrunnable: 'the local node agent runs Pods of one container and no init containers' }
        : localProgram(container);
    if ('unrunnable' in lookup) {
      publish({ ...worker.view, container: { state: 'waiting', reason: 'NotRunnableLocally', message: lookup.unrunnable } });
      return;
    }
    const podKey = key(pod);
    const dir = join(this.options.dir, 'pods', `${pod.metadata?.namespace}_${pod.metadata?.name}`);
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    worker.process = new PodProcess({
      podKey,
      container,
      program: lookup.program,
      env: () => this.environment(worker.pod, dir, ports),
      ports,
      logFile: join(this.options.dir, `${pod.metadata?.namespace}_${pod.metadata?.name}.log`),
      graceMs: this.graceMs(pod),
      backoff: this.options.backoff ?? kubeletBackoff,
      onChange: publish,
      onRestart: this.options.onRestart,
    });
    worker.process.start();
  }

  private runStandIn(pod: V1Pod, standIn: StandIn, worker: Worker, publish: (view: PodView) => void): { stop(): void } {
    const stop = new AbortController();
    const startedAt = new Date();
    void (async () => {
      let prepared = !standIn.prepare;
      while (!stop.signal.aborted) {
        // A check that throws (Elasticsearch's health body timing out on a loaded machine) is not
        // ready; left uncaught it ended this loop and failed the test run as an unhandled rejection.
        let ready = await standIn.ready().catch(() => false);
        if (ready && !prepared) {
          const container = pod.spec?.containers[0];
          prepared = await this.resolvedEnv(pod, container ? [container] : [])
            .then((env) => standIn.prepare?.(env))
            .then(() => true)
            .catch(() => false);
        }
        ready &&= prepared;
        const view = worker.view.container;
        if (view.state !== 'running' || view.ready !== ready)
          publish({ ...worker.view, container: { state: 'running', startedAt, started: true, ready } });
        await sleep(2_000, undefined, { signal: stop.signal }).catch(() => undefined);
      }
    })();
    return { stop: () => stop.abort() };
  }

  private async resolvedEnv(pod: V1Pod, containers: NonNullable<V1Pod['spec']>['containers']): Promise<Record<string, string>> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const configMaps = new Map<string, V1ConfigMap>();
    const secrets = new Map<string, V1Secret>();
    for (const container of containers) {
      const refs = referencedObjects(container);
      for (const name of refs.configMaps) {
        const found = await this.core.readNamespacedConfigMap({ name, namespace }).catch(() => undefined);
        if (found) configMaps.set(name, found);
      }
      for (const name of refs.secrets) {
        const found = await this.core.readNamespacedSecret({ name, namespace }).catch(() => undefined);
        if (found) secrets.set(name, found);
      }
    }
    return Object.assign({}, ...containers.map((c) => containerEnv(pod, c, { configMaps, secrets })));
  }

  /** A container's env on this machine: resolved, addresses mapped, and in-cluster credentials as a kubeconfig. */
  private async environment(pod: V1Pod, dir: string, ports: Map<number, number>): Promise<Record<string, string>> {
    const container = pod.spec?.containers[0];
    const env = localEnv(await this.resolvedEnv(pod, container ? [container] : []), this.options.services, ports);
    const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: join(dir, 'tmp') };
    const mountsToken = pod.spec?.volumes?.some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken));
    if (mountsToken) base.KUBECONFIG = await this.serviceAccountKubeconfig(pod, dir);
    return { ...base, ...env };
  }

  /**
   * In a cluster the Pod reads its service account's token from a projected volume and finds the
   * API server through KUBERNETES_SERVICE_HOST; here it gets a kubeconfig with a token bound to
   * the Pod, so RBAC applies to it exactly as in a cluster.
   */
  private async serviceAccountKubeconfig(pod: V1Pod, dir: string): Promise<string> {
    const { name = '', namespace = '', uid } = pod.metadata ?? {};
    const serviceAccount = pod.spec?.serviceAccountName ?? 'default';
    const request = await this.core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 86_400, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid } } },
    });
    const cluster = this.options.kc.getCurrentCluster();
    const file = join(dir, 'kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: cluster?.server, 'certificate-authority-data': cluster?.caData } }],
      users: [{ name: serviceAccount, user: { token: request.status?.token } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: serviceAccount, namespace } }],
      'current-context': 'local',
    };
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    return file;
  }

  /** Status writes are serialized per Pod and skipped when nothing changed. */
  private async writeStatus(worker: Worker): Promise<void> {
    const previous = worker.writing ?? Promise.resolve();
    worker.writing = previous.then(async () => {
      const status = podStatus(worker.view);
      const body = JSON.stringify(status);
      if (body === worker.written || worker.terminating) return;
      await this.core
        .patchNamespacedPodStatus(
          { name: worker.pod.metadata?.name ?? '', namespace: worker.pod.metadata?.namespace ?? '', body: { status } },
          strategicMerge,
        )
        .then(() => {
          worker.written = body;
        })
        .catch((error: unknown) => this.log(`status of pod ${key(worker.pod)} not written`, error));
    });
    await worker.writing;
  }
}
