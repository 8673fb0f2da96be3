/**
 * Rounds interleaved and balanced: on a shared machine throughput drifts 20–40 % within a run, so
 * designs take turns, and each runs first as often as second (an odd round count is rounded up).
 */
import { spread } from '../../devkit/stats.ts';

/** The order of each round: round 0 as given, round 1 reversed, and so on. */
export function roundOrder<T>(designs: readonly T[], rounds: number): T[][] {
  const even = rounds % 2 === 0 ? rounds : rounds + 1;
  return Array.from({ length: even }, (_, i) => (i % 2 === 0 ? [...designs] : [...designs].reverse()));
}

/** Runs `measure` for every design in every round, interleaved; returns each design's results in round order. */
export async function interleaved<T extends string, R>(
  designs: readonly T[],
  rounds: number,
  measure: (design: T, round: number) => Promise<R>,
): Promise<Map<T, R[]>> {
  const results = new Map<T, R[]>(designs.map((d) => [d, []]));
  for (const [round, order] of roundOrder(designs, rounds).entries())
    for (const design of order) results.get(design)?.push(await measure(design, round));
  return results;
}

/**
 * The median of a figure over the rounds. Rounds come in even numbers, where the nearest-rank
 * median is the lower middle value — the worse round for throughput, the better for latency — so
 * this is the mean of the two middle values.
 */
export function roundsMedian(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no rounds');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** "median (min–max)" of a figure over the rounds. */
export function medianAndSpread(values: readonly number[], digits = 0): string {
  const s = spread(values);
  return `${roundsMedian(values).toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}
