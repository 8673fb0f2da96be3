import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceFlags, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tracingSchema } from './config.ts';
import {
  batchTraces,
  dropped,
  followsParent,
  inEventSpan,
  inSpan,
  inTrace,
  linkTo,
  sampled,
  samplerFor,
  startTracing,
  traceparentOf,
  tracesEndpoint,
  withActive,
} from './tracing.ts';

const config = (env: Record<string, string>) => tracingSchema.parse(env);
const tp = (trace: string, span: string, sampled = true) => `00-${trace.padEnd(32, '0')}-${span.padEnd(16, '0')}-0${sampled ? 1 : 0}`;

describe('tracesEndpoint', () => {
  it('is off without an OTLP endpoint: tracing costs nothing unless asked for', () => {
    expect(tracesEndpoint(config({}))).toBeUndefined();
  });
  it('appends the traces path to the base endpoint, as the OTLP exporter spec says', () => {
    expect(tracesEndpoint(config({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }))).toBe('http://jaeger:4318/v1/traces');
  });
  it('takes a traces endpoint as it is', () => {
    expect(tracesEndpoint(config({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }))).toBe('http://c:4318/custom');
  });
  it('is off when the SDK is disabled or the exporter is none, endpoint or not', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };
    expect(tracesEndpoint(config({ ...endpoint, OTEL_SDK_DISABLED: 'true' }))).toBeUndefined();
    expect(tracesEndpoint(config({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }))).toBeUndefined();
  });
});

describe('the OTEL_* variables', () => {
  it('refuse a ratio outside 0..1 and an unknown sampler, naming the variable', () => {
    const result = tracingSchema.safeParse({ OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '10' });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((i) => i.message).join('\n');
    expect(messages).toMatch(/OTEL_TRACES_SAMPLER must be one of/);
    expect(messages).toMatch(/OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
  });
});

describe('samplerFor', () => {
  it('defaults to parentbased_always_on and reads the ratio', () => {
    expect(samplerFor(config({})).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(samplerFor(config({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toString()).toMatch(
      /ParentBased\{root=TraceIdRatioBased\{0.1\}/,
    );
    expect(samplerFor(config({ OTEL_TRACES_SAMPLER: 'always_off' })).toString()).toBe('AlwaysOffSampler');
  });
});

describe('batchTraces', () => {
  it('makes a batch of one the child of its record', () => {
    const { parent, links } = batchTraces([tp('a', '1')]);
    expect(links.map((l) => l.context.spanId)).toEqual(['1'.padEnd(16, '0')]);
    expect(linkTo(tp('a', '1'))?.context.traceId).toBe('a'.padEnd(32, '0'));
    expect(trace.getSpanContext(parent)?.spanId).toBe('1'.padEnd(16, '0'));
  });
  it('puts a batch under its first sampled record and links every sampled record once', () => {
    const records = [undefined, 'garbage', tp('a', '1', false), tp('b', '2'), tp('b', '2'), tp('c', '3')];
    const { parent, links } = batchTraces(records);
    // a's trace was dropped: its span is in no backend, a link to it would lead nowhere.
    expect(links.map((l) => l.context.traceId.slice(0, 1))).toEqual(['b', 'c']);
    expect(trace.getSpanContext(parent)?.traceId).toBe('b'.padEnd(32, '0'));
    expect(links[0]?.context.traceFlags).toBe(TraceFlags.SAMPLED);
  });
  it('without a sampled record, is in the first dropped trace and links none: the batch is no trace of its own', () => {
    const { parent, links } = batchTraces([undefined, tp('a', '1', false), tp('b', '2', false)]);
    expect(links).toEqual([]);
    expect(trace.getSpanContext(parent)?.traceId).toBe('a'.padEnd(32, '0'));
    expect(dropped(trace.getSpanContext(parent))).toBe(true);
  });
  it('keeps at most 128 links', () => {
    const many = Array.from({ length: 300 }, (_, i) => tp(i.toString(16), (i + 1).toString(16)));
    expect(batchTraces(many).links).toHaveLength(128);
  });
  it('has no links and a root parent for records without trace context', () => {
    const { parent, links } = batchTraces([undefined, undefined]);
    expect(links).toEqual([]);
    expect(trace.getSpanContext(parent)).toBeUndefined();
  });
});

describe('dropped', () => {
  it('is a valid trace context whose sampled flag is off, and nothing else', () => {
    const context = (traceparent: string) => linkTo(traceparent)?.context;
    expect(dropped(context(tp('a', '1', false)))).toBe(true);
    expect(dropped(context(tp('a', '1')))).toBe(false);
    expect(dropped(undefined)).toBe(false);
    expect(dropped({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: TraceFlags.NONE })).toBe(false);
  });
});

describe('followsParent', () => {
  it('holds for the parent-based samplers (the default), where a dropped caller means no span', () => {
    expect(followsParent(config({}))).toBe(true);
    expect(followsParent(config({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' }))).toBe(true);
    expect(followsParent(config({ OTEL_TRACES_SAMPLER: 'traceidratio' }))).toBe(false);
    expect(followsParent(config({ OTEL_TRACES_SAMPLER: 'always_on' }))).toBe(false);
  });
});

describe('sampled', () => {
  it('reads the sampled flag of a traceparent, and nothing else counts', () => {
    expect(sampled(tp('a', '1'))).toBe(true);
    expect(sampled(tp('a', '1', false))).toBe(false);
    expect(sampled(undefined)).toBe(false);
    expect(sampled('00-abc-01')).toBe(false);
  });
});

describe('a consumer batch, with tracing on (parent-based, every new trace kept)', () => {
  // A real SDK exporting to a collector that takes everything: only what the handling sees is checked.
  let collector: Server;
  let tracing: { shutdown: () => Promise<void> };
  beforeAll(async () => {
    collector = createServer((req, res) => req.resume().on('end', () => res.end()));
    await new Promise<void>((listening) => collector.listen(0, '127.0.0.1', listening));
    const { port } = collector.address() as AddressInfo;
    tracing = startTracing('tracing-test', config({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }));
  });
  afterAll(async () => {
    await tracing.shutdown();
    collector.close();
  });
  /** What handling one event sees: whether it records, and the traceparent it would publish with. */
  const handle = (traceparent: string | undefined) =>
    inEventSpan('x handle', traceparent, async () => ({ recording: inTrace(), traceparent: traceparentOf() }));

  it('handles an event of a dropped trace with no span, passing the drop on', async () => {
    const record = tp('a', '1', false);
    await inSpan('batch', batchTraces([tp('b', '2')]), async () => {
      expect(await handle(record)).toEqual({ recording: false, traceparent: record });
    });
  });
  it('handles an event of a sampled trace in a span of its own, a child of the record', async () => {
    const seen = await inSpan('batch', batchTraces([tp('b', '2')]), () => handle(tp('a', '1')));
    expect(seen.recording).toBe(true);
    expect(seen.traceparent).toMatch(new RegExp(`^00-${'a'.padEnd(32, '0')}-[0-9a-f]{16}-01$`));
  });
  it('runs a batch of dropped records in the first one’s trace, and an event without a traceparent in it, with no span', async () => {
    const { parent } = batchTraces([tp('a', '1', false), tp('b', '2', false)]);
    const seen = await withActive(parent, () => handle(undefined));
    expect(seen).toEqual({ recording: false, traceparent: tp('a', '1', false) });
  });
  it('makes an event without a traceparent the child of a recorded batch', async () => {
    const seen = await inSpan('batch', batchTraces([tp('b', '2')]), () => handle(undefined));
    expect(seen.recording).toBe(true);
    expect(seen.traceparent).toMatch(new RegExp(`^00-${'b'.padEnd(32, '0')}-`));
  });
});
