/**
 * OpenTelemetry tracing for every Eventide program, configured by the standard OTEL_* variables
 * (lib/config.ts tracingEnv). Off unless an OTLP endpoint is set: then no provider is registered,
 * and every helper here returns after one boolean check, so tracing off costs nothing.
 *
 * The hops: an HTTP server span (lib/http/request-tracing.ts) → the outbox row stores its traceparent
 * (encodeEvent) → the relay's publish span continues it and rewrites the record's traceparent →
 * the consumer's batch span is a child of its first record and links the others, and each event
 * handled alone runs in its own record's context → PostgreSQL, Elasticsearch and Kafka spans below.
 * Sampling is decided once, where a trace begins: with a parent-based sampler, work whose trace was
 * dropped upstream makes no span at any later hop; it only runs in that trace's context, so what it
 * passes on stays dropped.
 */
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  type IdGenerator,
  NodeTracerProvider,
  ParentBasedSampler,
  RandomIdGenerator,
  type Sampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from './config.ts';

export type { Context, Span, TextMapGetter };
export { ROOT_CONTEXT, SpanKind, SpanStatusCode };

let enabled = false;
/** Whether the sampler follows a parent's decision, so a hop may skip the spans of a dropped trace. */
let parentBased = false;
/** The provider's sampler (startTracing's), asked first by inSampledSpan for a new trace. */
let sampler: Sampler = new AlwaysOnSampler();
const propagator = new W3CTraceContextPropagator();
/** Looked up once: a lookup per span costs more than the span of a dropped trace. */
let tracer: Tracer = trace.getTracer('eventide');

/**
 * The provider's ids. inSampledSpan draws a new trace's id and asks the sampler before the SDK
 * builds anything; when the sampler keeps it, the root span the SDK then starts takes that id,
 * so the SDK's own sampling answers the same.
 */
class EntryIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  /** The id the next new trace takes: the one the sampler was asked about and kept. */
  kept: string | undefined;
  generateTraceId = (): string => {
    const id = this.kept ?? this.random.generateTraceId();
    this.kept = undefined;
    return id;
  };
  generateSpanId = (): string => this.random.generateSpanId();
}
const ids = new EntryIds();

/** Whether this process records spans (an OTLP endpoint is configured and the SDK not disabled). */
export const tracingOn = (): boolean => enabled;

/** Where spans go, or undefined when tracing is off (the pure half of startTracing). */
export function tracesEndpoint(config: TracingConfig): string | undefined {
  if (config.OTEL_SDK_DISABLED === 'true' || config.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT) return `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/** Whether OTEL_TRACES_SAMPLER names a sampler that keeps its parent's decision (the default does). */
export const followsParent = (config: TracingConfig): boolean =>
  (config.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').startsWith('parentbased_');

/** The sampler OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name; default parentbased_always_on, as the spec says. */
export function samplerFor(config: TracingConfig): Sampler {
  const ratio = config.OTEL_TRACES_SAMPLER_ARG ?? 1;
  switch (config.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on') {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Registers the tracer provider (AsyncLocalStorage context, W3C propagation, OTLP/HTTP exporter
 * in batches) when an endpoint is configured. An exporter that cannot reach its collector drops
 * spans (bounded queue) and never stops the program. shutdown() flushes what is queued.
 */
export function startTracing(program: string, config: TracingConfig): { endpoint?: string; shutdown: () => Promise<void> } {
  const endpoint = tracesEndpoint(config);
  if (!endpoint) return { shutdown: async () => {} };
  sampler = samplerFor(config);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME ?? program }),
    sampler,
    idGenerator: ids,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint, timeoutMillis: 5_000 }))],
  });
  provider.register();
  tracer = trace.getTracer('eventide');
  parentBased = followsParent(config);
  enabled = true;
  return {
    endpoint,
    async shutdown() {
      enabled = false;
      await provider.shutdown().catch(() => undefined);
    },
  };
}

/** The W3C traceparent of a context's span (default: the active one), if it has a valid one. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  if (!enabled) return undefined;
  const span = trace.getSpanContext(ctx);
  if (!span || !isSpanContextValid(span)) return undefined;
  return `00-${span.traceId}-${span.spanId}-0${span.traceFlags & TraceFlags.SAMPLED}`;
}

/** The traceparent that makes `span` the parent of whatever receives it. */
export const traceparentOfSpan = (span: Span): string | undefined => traceparentOf(trace.setSpan(ROOT_CONTEXT, span));

/** The context a carrier's traceparent names, as a remote parent (ROOT when it has none or a malformed one). */
export function contextFrom<C>(carrier: C, getter: TextMapGetter<C> = defaultTextMapGetter as TextMapGetter<C>): Context {
  return propagator.extract(ROOT_CONTEXT, carrier, getter);
}

/** The context of a record's or event's traceparent. */
export const contextOfTraceparent = (traceparent: string | undefined): Context =>
  traceparent ? contextFrom({ traceparent }) : ROOT_CONTEXT;

/** Whether a span context names a trace that was dropped where it began (valid, not sampled). */
export const dropped = (span: SpanContext | undefined): boolean =>
  span !== undefined && isSpanContextValid(span) && (span.traceFlags & TraceFlags.SAMPLED) === 0;

/** A link to the span a traceparent names, or none. */
export function linkTo(traceparent: string | undefined): Link | undefined {
  const span = traceparent ? trace.getSpanContext(contextOfTraceparent(traceparent)) : undefined;
  return span && isSpanContextValid(span) ? { context: span } : undefined;
}

/** The most links a batch span holds (the SDK's default limit). */
const maxLinks = 128;

/**
 * Where a batch's span belongs: the child of its first sampled record (a batch of one is exactly
 * its record's child, and the handler's writes appear in at least one of the batch's traces), with
 * a link to every sampled record's span (a dropped record's span is in no backend). Without a
 * sampled record, the first record's context: dropped upstream (droppedUpstream), or none at all.
 */
export function batchTraces(traceparents: (string | undefined)[]): { parent: Context; links: Link[] } {
  const links: Link[] = [];
  const seen = new Set<string>();
  let first: SpanContext | undefined;
  for (const traceparent of traceparents) {
    // Past the first, a record is parsed only to be linked: a dropped one's flag, read off the string, is enough.
    if (first && !sampled(traceparent)) continue;
    const span = linkTo(traceparent)?.context;
    if (!span) continue;
    first ??= span;
    if (!(span.traceFlags & TraceFlags.SAMPLED) || seen.has(span.spanId) || links.length >= maxLinks) continue;
    seen.add(span.spanId);
    links.push({ context: span });
  }
  const parent = links[0]?.context ?? first;
  return { parent: parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT, links };
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** Default: the active context. */
  parent?: Context;
}

/**
 * Runs `work` inside a span (active for everything it awaits): an error it throws is recorded on
 * the span and thrown on. With tracing off, `work` runs as it is.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span?: Span) => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const { parent = context.active(), ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `work` in a span when its trace is sampled; else in that trace's context with no span, so
 * what it writes or publishes carries the drop on and nothing is built to be thrown away. The
 * trace is the parent's (a caller's, a record's) or, without one, a new trace the sampler decides
 * on here, once. With a sampler that ignores parents, as inSpan.
 */
export function inSampledSpan<T>(name: string, options: SpanOptions, work: (span?: Span) => Promise<T>): Promise<T> {
  if (!enabled || !parentBased) return inSpan(name, options, work);
  const parent = options.parent ?? context.active();
  // Under a probe (untraced) the SDK starts nothing and would not take a kept trace id.
  if (isTracingSuppressed(parent)) return context.with(parent, work);
  const caller = trace.getSpanContext(parent);
  if (caller && isSpanContextValid(caller)) return dropped(caller) ? context.with(parent, work) : inSpan(name, options, work);
  const traceId = ids.generateTraceId();
  const { kind = SpanKind.INTERNAL, attributes = {}, links = [] } = options;
  if (sampler.shouldSample(parent, traceId, name, kind, attributes, links).decision === SamplingDecision.NOT_RECORD)
    return context.with(trace.setSpanContext(parent, { traceId, spanId: ids.generateSpanId(), traceFlags: TraceFlags.NONE }), work);
  // Kept: the span inSpan starts (synchronously, before anything else can) takes this trace id.
  ids.kept = traceId;
  return inSpan(name, { ...options, parent }, work);
}

/** A span that the caller ends (for spans that end in another callback); undefined when off. */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  if (!enabled) return undefined;
  const { parent = context.active(), ...spanOptions } = options;
  return tracer.startSpan(name, spanOptions, parent);
}

/**
 * Runs the handling of one event of a batch in its own trace: a span that is the child of the
 * event's traceparent and links the batch span, so whatever the handling writes or publishes
 * continues the event's trace, not the batch's first record's. Without a traceparent, a child of
 * the batch. An event whose trace was dropped upstream runs in its context with no span.
 */
export function inEventSpan<T>(name: string, traceparent: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  if (!traceparent) return inSampledSpan(name, {}, work);
  const batch = sampled(traceparent) ? trace.getActiveSpan()?.spanContext() : undefined;
  const links = batch && isSpanContextValid(batch) ? [{ context: batch }] : [];
  return inSampledSpan(name, { parent: contextOfTraceparent(traceparent), links }, work);
}

/**
 * Whether a recorded span is active: a client span outside any trace would be a trace of its own
 * (noise), and one under a trace the sampler dropped would be dropped too (work for nothing).
 */
export const inTrace = (): boolean => enabled && trace.getActiveSpan()?.isRecording() === true;

/** Whether a traceparent names a sampled trace (its flags' last bit). */
export const sampled = (traceparent: string | undefined): boolean =>
  traceparent?.length === 55 && (Number.parseInt(traceparent.slice(53), 16) & 1) === 1;

/** Marks a span as failed with the error's message. */
export function failed(span: Span | undefined, error: unknown): void {
  if (!span) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `work` with no trace at all: nothing it does starts a span, not even a library's own (probes). */
export function untraced<T>(work: () => T): T {
  if (!enabled) return work();
  return context.with(suppressTracing(context.active()), work);
}

/** Runs `work` with `span` (or a context) active, so what it starts are its children. */
export function withActive<T>(span: Span | Context | undefined, work: () => T): T {
  if (!enabled || !span) return work();
  return context.with('spanContext' in span ? trace.setSpan(context.active(), span) : span, work);
}

/** trace_id and span_id of the active span, for log lines; empty when there is none. */
export function logCorrelation(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
