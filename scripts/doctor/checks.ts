/**
 * `make doctor`'s checks: each takes what scripts/doctor.ts gathered (a tool's output, Docker's
 * info, a file's value) and says whether the kind path can go on, and if not what to do. No I/O.
 */
import { formatRequests, type Part, type Requests, sum } from './requests.ts';
import { compareVersions, formatVersion, parseVersion, type Version } from './versions.ts';

/** ok: fine; warn: works, with a caveat; block: the next step would fail, so the doctor exits non-zero. */
export type Level = 'ok' | 'warn' | 'block';

export interface Finding {
  check: string;
  level: Level;
  message: string;
}

/** What running a tool gave: its output, or that it is not installed, or its error. */
export type ToolRun = { stdout: string } | { missing: true } | { error: string };

const GiB = 2 ** 30;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;
const v = (version: string) => parseVersion(version) as Version;

/** Docker 23 is the first Engine whose `docker build` is BuildKit's (buildx), which takes --provenance=false. */
export const minimumDocker = '23.0.0';

/** Where to get each tool, for the messages. */
const install = {
  docker: 'https://docs.docker.com/get-docker/',
  kind: 'https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  kubectl: 'https://kubernetes.io/docs/tasks/tools/',
};

export function checkKind(run: ToolRun, minimum: string, nodeImage: string): Finding {
  const check = 'kind';
  const wanted = `kind v${minimum} or newer (${install.kind})`;
  if ('missing' in run) return { check, level: 'block', message: `kind is not installed: install ${wanted}` };
  if ('error' in run) return { check, level: 'block', message: `\`kind version\` failed (${run.error.trim()}): install ${wanted}` };
  const found = parseVersion(run.stdout);
  if (!found) return { check, level: 'warn', message: `cannot read a version in \`kind version\`: ${run.stdout.trim()}` };
  if (compareVersions(found, v(minimum)) < 0)
    return {
      check,
      level: 'block',
      message: `kind v${formatVersion(found)} is older than v${minimum}, the first release that ships ${nodeImage}: upgrade to ${wanted}`,
    };
  return { check, level: 'ok', message: `kind v${formatVersion(found)}` };
}

/**
 * kubectl is supported within one minor of the API server (Kubernetes' version skew policy), so
 * the chart's minor less one is the oldest that works.
 */
export function checkKubectl(run: ToolRun, serverVersion: string): Finding {
  const check = 'kubectl';
  const server = v(serverVersion);
  const oldest = { major: server.major, minor: server.minor - 1, patch: 0 };
  const wanted = `kubectl v${formatVersion(oldest)} or newer (${install.kubectl})`;
  if ('missing' in run) return { check, level: 'block', message: `kubectl is not installed: install ${wanted}` };
  if ('error' in run)
    return { check, level: 'block', message: `\`kubectl version --client\` failed (${run.error.trim()}): install ${wanted}` };
  const client = clientVersion(run.stdout);
  if (!client) return { check, level: 'warn', message: `cannot read kubectl's version in: ${run.stdout.trim()}` };
  if (compareVersions(client, oldest) < 0)
    return {
      check,
      level: 'block',
      message: `kubectl v${formatVersion(client)} is more than one minor older than Kubernetes ${serverVersion}: upgrade to ${wanted}`,
    };
  if (client.major === server.major && client.minor > server.minor + 1)
    return {
      check,
      level: 'warn',
      message: `kubectl v${formatVersion(client)} is more than one minor newer than Kubernetes ${serverVersion}`,
    };
  return { check, level: 'ok', message: `kubectl v${formatVersion(client)}` };
}

/** `kubectl version --client -o json` gives clientVersion.gitVersion; plain text "Client Version: v1.37.0". */
function clientVersion(stdout: string): Version | undefined {
  try {
    return parseVersion((JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion);
  } catch {
    return parseVersion(/Client Version:\s*(\S+)/.exec(stdout)?.[1] ?? '');
  }
}

/** The part of `docker info --format '{{json .}}'` the doctor reads. */
export interface DockerInfo {
  NCPU: number;
  MemTotal: number;
  ServerVersion?: string;
  /** Where Docker keeps images and containers: on this machine's disk only where it runs natively (Linux). */
  DockerRootDir?: string;
  /** Set (with the rest empty) when the CLI runs but the daemon does not answer. */
  ServerErrors?: string[];
}

export function checkDocker(run: ToolRun): Finding {
  const check = 'docker';
  if ('missing' in run)
    return {
      check,
      level: 'block',
      message: `docker is not installed: install Docker Engine ${minimumDocker} or newer (${install.docker})`,
    };
  const info = 'stdout' in run ? dockerInfo(run.stdout) : undefined;
  const errors = 'error' in run ? [run.error.trim()] : (info?.ServerErrors ?? []);
  if (errors.length > 0 || !info?.ServerVersion)
    return {
      check,
      level: 'block',
      message: `Docker's daemon does not answer (${errors.join('; ') || 'no server version'}): start Docker`,
    };
  const found = parseVersion(info.ServerVersion);
  if (found && compareVersions(found, v(minimumDocker)) < 0)
    return {
      check,
      level: 'block',
      message: `Docker ${info.ServerVersion} is older than ${minimumDocker}: upgrade Docker (${install.docker})`,
    };
  return { check, level: 'ok', message: `Docker ${info.ServerVersion}` };
}

export function dockerInfo(stdout: string): DockerInfo | undefined {
  try {
    return JSON.parse(stdout) as DockerInfo;
  } catch {
    return undefined;
  }
}

/**
 * The CPUs and memory Docker gives its containers (on macOS and Windows: its VM's) against what
 * the kind cluster requests: below the requests Pods stay Pending and `make deploy` times out;
 * below the laptop size the docs name, consumers have no room to scale out.
 */
export function checkCapacity(
  info: Pick<DockerInfo, 'NCPU' | 'MemTotal'>,
  parts: Part[],
  laptop: { cpus: number; memory: number },
): Finding {
  const check = 'capacity';
  const need: Requests = sum(parts);
  const has = `Docker gives ${info.NCPU} CPUs and ${gib(info.MemTotal)}`;
  const largest = [...parts]
    .sort((a, b) => b.requests.cpu - a.requests.cpu)
    .slice(0, 3)
    .map((p) => `${p.name} ${p.requests.cpu}m`)
    .join(', ');
  if (info.NCPU * 1000 < need.cpu || info.MemTotal < need.memory)
    return {
      check,
      level: 'block',
      message: `${has}; the kind cluster requests ${formatRequests(need)} (the largest: ${largest}), so Pods would stay Pending: give Docker at least ${laptop.cpus} CPUs and ${gib(laptop.memory)} (Docker Desktop: Settings → Resources)`,
    };
  // A VM given 8 GiB reports a little less as MemTotal (the kernel keeps some): 10 % of slack.
  if (info.NCPU < laptop.cpus || info.MemTotal < laptop.memory * 0.9)
    return {
      check,
      level: 'warn',
      message: `${has}: enough for the ${formatRequests(need)} requested at rest, with little room for consumers to scale out (${laptop.cpus} CPUs and ${gib(laptop.memory)} recommended)`,
    };
  return { check, level: 'ok', message: `${has}; the kind cluster requests ${formatRequests(need)}` };
}

/** Images (kind's node, Elasticsearch, Strimzi's Kafka, Eventide's and their archives) and the volumes. */
export const diskNeeded = 10 * GiB;

export function checkDisk(free: number, where: string): Finding {
  const check = 'disk';
  if (free < diskNeeded)
    return {
      check,
      level: 'block',
      message: `${gib(free)} free at ${where}; the images and volumes need about ${gib(diskNeeded)}: free some space`,
    };
  return { check, level: 'ok', message: `${gib(free)} free at ${where}` };
}

/** What the doctor learned of the cluster a context points at. */
export interface ContextState {
  /** The context Eventide's targets use (KUBECONTEXT). */
  wanted: string;
  /** Every context of the kubeconfig. */
  contexts: string[];
  current?: string;
  /** `kubectl version -o json`'s serverVersion.gitVersion, or why the server did not answer. */
  server: { version: string } | { error: string };
}

/**
 * The context Eventide's targets pass to every kubectl call: it must exist and answer. Before
 * `make kind-up` (`required` false) a missing kind context only says that kind-up makes it.
 */
export function checkContext(state: ContextState, chartVersion: string, required: boolean): Finding {
  const check = 'context';
  if (!state.contexts.includes(state.wanted))
    return {
      check,
      level: required ? 'block' : 'warn',
      message: `no kubectl context ${state.wanted}: \`make kind-up\` creates kind-eventide; for another cluster set KUBECONTEXT=<its context>`,
    };
  if ('error' in state.server)
    return { check, level: 'block', message: `the cluster of context ${state.wanted} does not answer (${state.server.error.trim()})` };
  const note =
    state.current && state.current !== state.wanted ? `; your current context is ${state.current}, Eventide's targets do not use it` : '';
  const server = parseVersion(state.server.version);
  const chart = v(chartVersion);
  if (server && (server.major !== chart.major || server.minor !== chart.minor))
    return {
      check,
      level: 'warn',
      message: `context ${state.wanted} runs Kubernetes ${state.server.version}; the chart is validated against ${chartVersion}${note}`,
    };
  return { check, level: 'ok', message: `context ${state.wanted}, Kubernetes ${state.server.version}${note}` };
}

export function checkStrimziCrds(installed: boolean, strimzi: string): Finding {
  const check = 'strimzi';
  if (!installed)
    return {
      check,
      level: 'block',
      message: `Strimzi's CRDs are not installed (no crd/kafkas.kafka.strimzi.io), so the chart's Kafka cannot be applied: on kind \`make kind-up\` installs Strimzi ${strimzi}; elsewhere install strimzi-cluster-operator-${strimzi}.yaml first`,
    };
  return { check, level: 'ok', message: "Strimzi's CRDs are installed" };
}

export interface StorageClass {
  name: string;
  isDefault: boolean;
}

/** The chart's PersistentVolumeClaims name no class: without a default one they stay Pending. */
export function checkDefaultStorageClass(classes: StorageClass[]): Finding {
  const check = 'storage class';
  const defaults = classes.filter((c) => c.isDefault).map((c) => c.name);
  if (defaults.length === 0)
    return {
      check,
      level: 'block',
      message: `no default StorageClass (found: ${classes.map((c) => c.name).join(', ') || 'none'}): the chart's PersistentVolumeClaims would stay Pending; mark one with storageclass.kubernetes.io/is-default-class=true`,
    };
  return { check, level: 'ok', message: `default StorageClass ${defaults.join(', ')}` };
}

/** Elasticsearch with mmap (production) refuses to start below this (its bootstrap check). */
export const minimumMaxMapCount = 262144;

/**
 * vm.max_map_count of this machine. It matters on the nodes that run Elasticsearch, which this
 * machine may not be, so a low value is a warning with what to set, not a block.
 */
export function checkMaxMapCount(value: number | undefined): Finding {
  const check = 'vm.max_map_count';
  if (value === undefined)
    return {
      check,
      level: 'warn',
      message: `cannot read it here; every node that runs Elasticsearch needs at least ${minimumMaxMapCount}`,
    };
  if (value < minimumMaxMapCount)
    return {
      check,
      level: 'warn',
      message: `${value} here; every node that runs Elasticsearch needs at least ${minimumMaxMapCount} (sysctl -w vm.max_map_count=${minimumMaxMapCount}, and in /etc/sysctl.d)`,
    };
  return { check, level: 'ok', message: `${value} here (at least ${minimumMaxMapCount} on every Elasticsearch node)` };
}

const marks: Record<Level, string> = { ok: 'ok   ', warn: 'warn ', block: 'BLOCK' };

/** One line per finding, and whether anything blocks. */
export function report(findings: Finding[]): { text: string; blocked: boolean } {
  const width = Math.max(...findings.map((f) => f.check.length));
  return {
    text: findings.map((f) => `${marks[f.level]} ${f.check.padEnd(width)}  ${f.message}`).join('\n'),
    blocked: findings.some((f) => f.level === 'block'),
  };
}
