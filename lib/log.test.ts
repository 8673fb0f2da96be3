import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';
import { inSpan, startTracing } from './tracing.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes one JSON object per line with name, level, ISO time and pod', () => {
    const before = process.env.POD_NAME;
    process.env.POD_NAME = 'pod-7';
    try {
      const { lines, stream } = capture();
      createLogger('svc', 'info', stream).child({ key: 'ns/a' }).info({ n: 1 }, 'hello');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0] as string);
      expect(line).toMatchObject({ name: 'svc', level: 30, pod: 'pod-7', key: 'ns/a', n: 1, msg: 'hello' });
      expect(new Date(line.time).toISOString()).toBe(line.time);
    } finally {
      if (before === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = before;
    }
  });

  it('drops lines below its level', () => {
    const { lines, stream } = capture();
    const log = createLogger('svc', 'warn', stream);
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
  });
});

describe('a log line inside a span', () => {
  it('carries the trace_id and span_id that lead to its trace; outside any span, none', async () => {
    // Tracing on, but the sampler keeps nothing: spans have ids, and nothing is exported anywhere.
    const tracing = startTracing('svc', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_SAMPLER: 'always_off' });
    try {
      const { lines, stream } = capture();
      const log = createLogger('svc', 'info', stream);
      log.info('before');
      const ids = await inSpan('work', {}, async (span) => {
        log.child({ key: 'k' }).info('inside');
        return span?.spanContext();
      });
      log.info('after');
      const [before, inside, after] = lines.map((l) => JSON.parse(l));
      expect(ids?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(inside).toMatchObject({ msg: 'inside', trace_id: ids?.traceId, span_id: ids?.spanId });
      expect(before).not.toHaveProperty('trace_id');
      expect(after).not.toHaveProperty('trace_id');
    } finally {
      await tracing.shutdown();
    }
  });
});
