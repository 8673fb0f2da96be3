/**
 * Reads a trace back from Jaeger's query API (v3: OTLP's own JSON), flattened to what a test or a
 * person asks of it: which service made each span, its parent and its links.
 */
export interface TracedSpan {
  service: string;
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: string | number;
  links?: { traceId: string; spanId: string }[];
  attributes?: { key: string; value: OtlpValue }[];
}
interface OtlpTrace {
  result?: {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: OtlpValue }[] };
      scopeSpans?: { spans?: OtlpSpan[] }[];
    }[];
  };
}

const plain = (value: OtlpValue) => value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue;

/** OTLP JSON carries ids as hex (the spec) or base64 (protobuf's JSON mapping); tests compare hex. */
export function hexId(id: string, bytes: number): string {
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(id)) return id;
  return Buffer.from(id, 'base64').toString('hex');
}

export function flattenTrace(body: OtlpTrace): TracedSpan[] {
  return (body.result?.resourceSpans ?? []).flatMap((rs) => {
    const service = String(plain(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {}) ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        service,
        name: s.name,
        kind: String(s.kind ?? ''),
        traceId: hexId(s.traceId, 16),
        spanId: hexId(s.spanId, 8),
        ...(s.parentSpanId ? { parentSpanId: hexId(s.parentSpanId, 8) } : {}),
        links: (s.links ?? []).map((l) => ({ traceId: hexId(l.traceId, 16), spanId: hexId(l.spanId, 8) })),
        attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, plain(a.value)])),
      })),
    );
  });
}

/** The spans Jaeger holds for a trace id now (none yet: an empty list). */
export async function readTrace(jaegerUrl: string, traceId: string): Promise<TracedSpan[]> {
  const response = await fetch(`${jaegerUrl}/api/v3/traces/${traceId}`, { signal: AbortSignal.timeout(5_000) });
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for trace ${traceId}: ${await response.text()}`);
  return flattenTrace((await response.json()) as OtlpTrace);
}
