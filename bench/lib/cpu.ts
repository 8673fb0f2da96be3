/**
 * CPU per process, from /proc/<pid>/stat: what each part of a design spends for the events it
 * moves, so that a throughput ratio can be explained. A server that forks (PostgreSQL's backends,
 * a JVM's threads are one process) is counted with its whole tree of live descendants plus the
 * children it has reaped (cutime, cstime). A tree stops at another named process: the bench
 * driver is the parent of every service and server it launched, and counts only itself.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second: USER_HZ, 100 on every Linux architecture Node runs on. */
const ticksPerSecond = 100;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: reaped children, in ticks. */
  reaped: number;
}

/** Parses one /proc/<pid>/stat line; the command name may hold spaces and parentheses. */
export function parseStat(line: string): ProcStat {
  const close = line.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc stat line: ${line.slice(0, 60)}`);
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // After ") ": state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17); index 0 is field 3.
  const f = line
    .slice(close + 2)
    .trim()
    .split(' ')
    .map(Number);
  const at = (field: number) => f[field - 3] ?? 0;
  return { pid, ppid: at(4), own: at(14) + at(15), reaped: at(16) + at(17) };
}

/**
 * CPU seconds of `root` and all its live descendants (and what they reaped), from `stats`; the
 * subtrees of `counted` (other named processes) are left to their own names.
 */
export function treeSeconds(stats: readonly ProcStat[], root: number, counted: ReadonlySet<number> = new Set()): number {
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let ticks = 0;
  const seen = new Set<number>();
  const visit = (s: ProcStat) => {
    if (seen.has(s.pid)) return;
    seen.add(s.pid);
    ticks += s.own + s.reaped;
    for (const c of children.get(s.pid) ?? []) if (!counted.has(c.pid)) visit(c);
  };
  const top = stats.find((s) => s.pid === root);
  if (top) visit(top);
  return ticks / ticksPerSecond;
}

function readStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.push(parseStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return stats;
}

/** Named process trees; `sample()` reads them all at one instant. */
export type Processes = Record<string, () => number | undefined>;

export interface CpuSample {
  at: number;
  seconds: Record<string, number>;
}

export function sampleCpu(processes: Processes): CpuSample {
  const stats = readStats();
  const pids = Object.entries(processes).map(([name, pid]) => [name, pid()] as const);
  const named = new Set(pids.flatMap(([, p]) => (p === undefined ? [] : [p])));
  const seconds: Record<string, number> = {};
  for (const [name, p] of pids) seconds[name] = p === undefined ? 0 : treeSeconds(stats, p, named);
  return { at: Date.now(), seconds };
}

/**
 * CPU milliseconds per event of each process between two samples. A process restarted in between
 * (a SIGKILL phase) loses its count: that phase's figure for it is a lower bound.
 */
export function cpuPerEvent(before: CpuSample, after: CpuSample, events: number): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [name, end] of Object.entries(after.seconds)) {
    const ms = (Math.max(0, end - (before.seconds[name] ?? 0)) * 1000) / Math.max(1, events);
    out[name] = ms;
    total += ms;
  }
  out.total = total;
  return out;
}
