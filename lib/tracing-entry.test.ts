import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSchema } from './config.ts';
import { inSampledSpan, inTrace, startTracing, traceparentOf } from './tracing.ts';

// Its own file: a process registers one tracer provider, and this one samples half the new traces.
describe('inSampledSpan, starting new traces with half of them sampled', () => {
  let collector: Server;
  let tracing: { shutdown: () => Promise<void> };
  beforeAll(async () => {
    collector = createServer((req, res) => req.resume().on('end', () => res.end()));
    await new Promise<void>((listening) => collector.listen(0, '127.0.0.1', listening));
    const { port } = collector.address() as AddressInfo;
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.5',
    };
    tracing = startTracing('tracing-entry-test', tracingSchema.parse(env));
  });
  afterAll(async () => {
    await tracing.shutdown();
    collector.close();
  });

  it('records a kept trace in a span and runs a dropped one in its context with no span, as the sampler decides once', async () => {
    const seen = await Promise.all(
      Array.from({ length: 400 }, () => inSampledSpan('entry', {}, async () => ({ recording: inTrace(), traceparent: traceparentOf() }))),
    );
    // Every entry passes a trace on, and it says what became of the entry: a span or none.
    for (const { recording, traceparent } of seen)
      expect(traceparent).toMatch(new RegExp(`^00-[0-9a-f]{32}-[0-9a-f]{16}-0${recording ? 1 : 0}$`));
    // Half are kept (±5 standard deviations). Had the SDK drawn a trace id of its own for a kept
    // trace and sampled again, a quarter would be.
    const kept = seen.filter((s) => s.recording).length;
    expect(kept).toBeGreaterThan(150);
    expect(kept).toBeLessThan(250);
  });
});
