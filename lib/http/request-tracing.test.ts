import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSchema } from '../config.ts';
import { inTrace, startTracing, traceparentOf } from '../tracing.ts';
import { traced, traceRequests } from './request-tracing.ts';

describe('traced', () => {
  it('is every path but the probes', () => {
    expect(['/healthz', '/readyz', '/metrics'].filter(traced)).toEqual([]);
    expect(['/api/v1/events', '/openapi.json', '/healthz/x'].every(traced)).toBe(true);
  });
});

/** What a handler sees of tracing: the active span, whether it records, and what it would pass on. */
interface Seen {
  active: boolean;
  recording: boolean;
  traceparent?: string;
  /** A span a library starts on its own under the handler (as Elasticsearch's client does). */
  libraryRecording: boolean;
}
const see = (): Seen => ({
  active: trace.getActiveSpan() !== undefined,
  recording: inTrace(),
  traceparent: traceparentOf(),
  libraryRecording: trace.getTracer('a library').startSpan('its own').isRecording(),
});

describe('traceRequests, with tracing on (parent-based, every new trace kept)', () => {
  // A real SDK exporting to a collector that takes everything: only what the handlers see is checked.
  let collector: Server;
  let tracing: { shutdown: () => Promise<void> };
  const seen: Seen[] = [];
  const app = new Hono();
  app.use(traceRequests());
  app.get('/readyz', (c) => {
    seen.push(see());
    return c.text('ok');
  });
  app.post('/events', (c) => {
    seen.push(see());
    return c.body(null, 201);
  });

  beforeAll(async () => {
    collector = createServer((req, res) => req.resume().on('end', () => res.end()));
    await new Promise<void>((listening) => collector.listen(0, '127.0.0.1', listening));
    const { port } = collector.address() as AddressInfo;
    tracing = startTracing('request-tracing-test', tracingSchema.parse({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }));
  });
  afterAll(async () => {
    await tracing.shutdown();
    collector.close();
  });

  const caller = (flags: '00' | '01') => `00-${'a'.repeat(32)}-${'b'.repeat(16)}-${flags}`;

  it('makes a recorded server span for a request that begins a trace or continues a sampled one', async () => {
    seen.length = 0;
    await app.request('/events', { method: 'POST' });
    await app.request('/events', { method: 'POST', headers: { traceparent: caller('01') } });
    expect(seen.map((s) => s.recording)).toEqual([true, true]);
    expect(seen[1]?.traceparent).toMatch(new RegExp(`^00-${'a'.repeat(32)}-(?!${'b'.repeat(16)})[0-9a-f]{16}-01$`));
  });

  it('makes no span for a caller that dropped its trace, and passes the caller’s decision on', async () => {
    seen.length = 0;
    await app.request('/events', { method: 'POST', headers: { traceparent: caller('00') } });
    expect(seen).toEqual([{ active: true, recording: false, traceparent: caller('00'), libraryRecording: false }]);
  });

  it('gives a probe no span and no trace, even one a library would start on its own, sampled caller or not', async () => {
    seen.length = 0;
    await app.request('/readyz');
    await app.request('/readyz', { headers: { traceparent: caller('01') } });
    const none: Seen = { active: false, recording: false, libraryRecording: false };
    expect(seen).toEqual([none, none]);
  });
});
