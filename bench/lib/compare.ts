/**
 * Two designs side by side over interleaved rounds (bench/pipeline, bench/onboarding): each
 * figure's median and spread per design and the ratio of the medians, with CPU per event by process
 * measured around every run, so that a throughput ratio comes with where the CPU went.
 */
import { table } from '../../devkit/stats.ts';
import { cpuPerEvent, type Processes, sampleCpu } from './cpu.ts';
import { medianAndSpread, roundsMedian } from './rounds.ts';

/** CPU ms per event by process name, with `total`. */
export interface WithCpu {
  cpu: Record<string, number>;
}

/** Runs `run` between two CPU samples of the design's processes; `events` counts what it moved. */
export async function withCpu<R>(processes: Processes, run: () => Promise<R>, events: (result: R) => number): Promise<R & WithCpu> {
  const before = sampleCpu(processes);
  const result = await run();
  return { ...result, cpu: cpuPerEvent(before, sampleCpu(processes), events(result)) };
}

export interface Figure<R> {
  name: string;
  /** undefined: the figure does not apply to this design (a process it does not have). */
  of: (result: R) => number | undefined;
  digits?: number;
}

/**
 * A row per figure, a column per design ("median (min–max)" over its rounds) and, for two designs,
 * the first's median over the second's.
 */
export function compareDesigns<R>(results: ReadonlyMap<string, readonly R[]>, figures: readonly Figure<R>[]): string {
  const designs = [...results.keys()];
  const values = (design: string, figure: Figure<R>) =>
    (results.get(design) ?? []).map(figure.of).filter((v): v is number => v !== undefined);
  const [first, second] = designs;
  const ratio = designs.length === 2 && first !== undefined && second !== undefined;
  const rows = figures.map((figure) => {
    const cells = designs.map((d) => {
      const v = values(d, figure);
      return v.length ? medianAndSpread(v, figure.digits) : '—';
    });
    if (!ratio) return [figure.name, ...cells];
    const a = values(first, figure);
    const b = values(second, figure);
    const quotient = a.length && b.length && roundsMedian(b) !== 0 ? `${(roundsMedian(a) / roundsMedian(b)).toFixed(2)}×` : '—';
    return [figure.name, ...cells, quotient];
  });
  return table(['', ...designs, ...(ratio ? [`${first} ÷ ${second}`] : [])], rows);
}

/** One figure per process any design measured, in the order first seen, the total last; `per` names the event. */
export function cpuFigures<R extends WithCpu>(results: ReadonlyMap<string, readonly R[]>, per = 'event'): Figure<R>[] {
  const names = new Set<string>();
  for (const runs of results.values()) for (const run of runs) for (const name of Object.keys(run.cpu)) names.add(name);
  names.delete('total');
  return [...names, 'total'].map((name) => ({ name: `CPU ms/${per}: ${name}`, of: (r: R) => r.cpu[name], digits: 2 }));
}
