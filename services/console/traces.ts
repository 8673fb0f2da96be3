/**
 * One trace from Jaeger's query API (`/api/traces/<id>`), as the waterfall the console draws:
 * spans in start order with their service, depth and offsets from the trace's start.
 */
import { HttpProblem, withHeaders } from '../../lib/http/problem.ts';

export interface SpanView {
  spanId: string;
  parentId?: string;
  depth: number;
  service: string;
  operation: string;
  /** µs from the trace's first span's start. */
  offsetUs: number;
  durationUs: number;
  error: boolean;
}

export interface TraceView {
  traceId: string;
  durationUs: number;
  services: string[];
  spans: SpanView[];
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references?: { refType: string; spanID: string }[];
  startTime: number;
  duration: number;
  processID: string;
  tags?: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** Jaeger's trace → the waterfall: parents before children, siblings by start. */
export function traceView(trace: JaegerTrace): TraceView {
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const parentOf = (s: JaegerSpan) => s.references?.find((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID))?.spanID;
  const children = new Map<string | undefined, JaegerSpan[]>();
  for (const span of trace.spans) children.set(parentOf(span), [...(children.get(parentOf(span)) ?? []), span]);
  const spans: SpanView[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      spans.push({
        spanId: span.spanID,
        ...(parent ? { parentId: parent } : {}),
        depth,
        service: trace.processes[span.processID]?.serviceName ?? span.processID,
        operation: span.operationName,
        offsetUs: span.startTime - start,
        durationUs: span.duration,
        error: (span.tags ?? []).some(
          (t) => (t.key === 'error' && t.value === true) || (t.key === 'otel.status_code' && t.value === 'ERROR'),
        ),
      });
      walk(span.spanID, depth + 1);
    }
  };
  walk(undefined, 0);
  return { traceId: trace.traceID, durationUs: end - start, services: [...new Set(spans.map((s) => s.service))].sort(), spans };
}

const traceId = /^[\da-f]{32}$/;

export class Traces {
  private readonly queryUrl: string | undefined;

  /** `queryUrl` unset: the platform sends no spans anywhere the console can read (tracing off). */
  constructor(queryUrl: string | undefined) {
    this.queryUrl = queryUrl;
  }

  async get(id: string): Promise<TraceView> {
    if (!traceId.test(id)) throw new HttpProblem(400, 'Invalid request', 'a trace id is 32 lowercase hex digits');
    if (!this.queryUrl) throw new HttpProblem(404, 'Not found', 'tracing is off in this profile: no trace can be shown');
    let response: Response;
    try {
      response = await fetch(`${this.queryUrl}/api/traces/${id}`, { signal: AbortSignal.timeout(5_000) });
    } catch {
      throw withHeaders(new HttpProblem(503, 'Service unavailable', 'Jaeger did not answer; retry shortly'), { 'Retry-After': '5' });
    }
    if (response.status === 404) throw new HttpProblem(404, 'Not found', `no trace ${id} in Jaeger (not sampled, or no longer kept)`);
    if (!response.ok)
      throw withHeaders(new HttpProblem(503, 'Service unavailable', `Jaeger answered ${response.status}`), { 'Retry-After': '5' });
    const body = (await response.json()) as { data?: JaegerTrace[] };
    const trace = body.data?.[0];
    if (!trace || trace.spans.length === 0)
      throw new HttpProblem(404, 'Not found', `no trace ${id} in Jaeger (not sampled, or no longer kept)`);
    return traceView(trace);
  }
}
