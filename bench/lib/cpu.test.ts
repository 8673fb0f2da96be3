import { describe, expect, it } from 'vitest';
import { cpuPerEvent, parseStat, treeSeconds } from './cpu.ts';
import { roundOrder } from './rounds.ts';

const line = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime = 0, cstime = 0) =>
  `${pid} (${comm}) S ${ppid} 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 100 1000 10`;

describe('parseStat', () => {
  it('reads ppid, own and reaped ticks, whatever the command name holds', () => {
    expect(parseStat(line(42, 'postgres: eventide (x) idle', 7, 120, 30, 5, 5))).toEqual({ pid: 42, ppid: 7, own: 150, reaped: 10 });
  });
  it('refuses a line that is not a stat line', () => {
    expect(() => parseStat('garbage')).toThrow(/not a \/proc stat line/);
  });
});

describe('treeSeconds', () => {
  const stats = [
    line(1, 'init', 0, 9999, 0),
    line(10, 'postgres', 1, 100, 0, 50, 0),
    line(11, 'backend', 10, 200, 0),
    line(12, 'backend', 11, 50, 0),
    line(20, 'node', 1, 300, 0),
  ].map(parseStat);
  it('adds a server and all its descendants, and what they reaped', () => {
    expect(treeSeconds(stats, 10)).toBe(4);
  });
  it('leaves a named descendant to its own name: the driver is the parent of the servers', () => {
    expect(treeSeconds(stats, 1, new Set([10, 20]))).toBe(99.99);
    expect(treeSeconds(stats, 10, new Set([11]))).toBe(1.5);
  });
  it('counts nothing for a process that is gone', () => {
    expect(treeSeconds(stats, 99)).toBe(0);
  });
});

describe('cpuPerEvent', () => {
  it('divides each process delta by the events, with a total', () => {
    const per = cpuPerEvent({ at: 0, seconds: { a: 1, b: 2 } }, { at: 1, seconds: { a: 2, b: 2.5 } }, 100);
    expect(per).toEqual({ a: 10, b: 5, total: 15 });
  });
});

describe('roundOrder', () => {
  it('alternates which design goes first, in an even number of rounds', () => {
    expect(roundOrder(['eventide', 'original'], 3)).toEqual([
      ['eventide', 'original'],
      ['original', 'eventide'],
      ['eventide', 'original'],
      ['original', 'eventide'],
    ]);
  });
});
