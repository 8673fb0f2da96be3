import { describe, expect, it } from 'vitest';
import { traceView } from './traces.ts';

const span = (
  spanID: string,
  startTime: number,
  duration: number,
  processID: string,
  parent?: string,
  tags: { key: string; value: unknown }[] = [],
) => ({
  spanID,
  operationName: `op ${spanID}`,
  references: parent ? [{ refType: 'CHILD_OF', spanID: parent }] : [],
  startTime,
  duration,
  processID,
  tags,
});

describe('traceView', () => {
  it('puts parents before children, siblings by start, with offsets from the trace start and each service named', () => {
    const view = traceView({
      traceID: 't',
      processes: { p1: { serviceName: 'catalog' }, p2: { serviceName: 'search-indexer' } },
      spans: [
        span('c', 1_500, 100, 'p2', 'a', [{ key: 'otel.status_code', value: 'ERROR' }]),
        span('a', 1_000, 2_000, 'p1'),
        span('b', 1_200, 100, 'p1', 'a'),
        span('orphan', 1_100, 50, 'p2', 'not-in-this-trace'),
      ],
    });
    expect(view.spans.map((s) => [s.spanId, s.depth, s.offsetUs, s.service, s.error])).toEqual([
      ['a', 0, 0, 'catalog', false],
      ['b', 1, 200, 'catalog', false],
      ['c', 1, 500, 'search-indexer', true],
      ['orphan', 0, 100, 'search-indexer', false],
    ]);
    expect(view.durationUs).toBe(2_000);
    expect(view.services).toEqual(['catalog', 'search-indexer']);
  });
});
