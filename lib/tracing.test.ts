import { TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { tracingSchema } from './config.ts';
import { batchTraces, linkTo, sampled, samplerFor, tracesEndpoint } from './tracing.ts';

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
  it('puts a batch under its first sampled record and links every record once', () => {
    const records = [undefined, 'garbage', tp('a', '1', false), tp('b', '2'), tp('b', '2'), tp('c', '3')];
    const { parent, links } = batchTraces(records);
    expect(links.map((l) => l.context.traceId.slice(0, 1))).toEqual(['a', 'b', 'c']);
    expect(trace.getSpanContext(parent)?.traceId).toBe('b'.padEnd(32, '0'));
    expect(links[1]?.context.traceFlags).toBe(TraceFlags.SAMPLED);
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

describe('sampled', () => {
  it('reads the sampled flag of a traceparent, and nothing else counts', () => {
    expect(sampled(tp('a', '1'))).toBe(true);
    expect(sampled(tp('a', '1', false))).toBe(false);
    expect(sampled(undefined)).toBe(false);
    expect(sampled('00-abc-01')).toBe(false);
  });
});
