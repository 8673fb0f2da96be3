/** Polls fall on boundaries of this many milliseconds. */
export const roundMs = 250;

/**
 * The delay until a group's next poll: at least its interval, rounded up to the next round
 * boundary. Groups due in one round are reconciled together, so their Kafka reads share requests
 * (one ListOffsets, one DescribeGroups) instead of each group's reads going out alone; a poll is
 * at most one round (250 ms) later than its interval alone would make it.
 */
export function untilNextRound(nowMs: number, intervalMs: number, round = roundMs): number {
  return Math.ceil((nowMs + intervalMs) / round) * round - nowMs;
}
