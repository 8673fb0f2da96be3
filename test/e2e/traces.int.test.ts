/**
 * Traces on the local platform that `make dev` runs, through the kind chart's own OTLP settings
 * into the Jaeger local mode starts: one flow of each system is one trace across its services —
 * a catalog change into Elasticsearch, a created teacher into identity's user, a completed payment
 * into the ledger — and the operator's reconciles are traced with their Kubernetes calls.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrace, type TracedSpan } from '../../devkit/traces.ts';
import { eventually } from '../../operator/testing/harness.ts';
import { platformCallers } from '../../scripts/local/credentials.ts';
import { sampleEvent } from '../../scripts/local/load-generator.ts';
import { type LocalPlatform, startLocalPlatform } from '../../scripts/local/platform.ts';
import { bootstrapAdmin } from './admin.ts';

let platform: LocalPlatform;
let adminToken: string;

beforeAll(async () => {
  platform = await startLocalPlatform({ logDir: mkdtempSync(join(tmpdir(), 'eventide-traces-')), examples: false });
  console.log(`[traces] platform up in ${platform.startupSeconds.toFixed(1)} s`);
  adminToken = (await bootstrapAdmin(platform)).accessToken;
}, 300_000);
afterAll(async () => platform?.stop(), 120_000);

/** A traceparent of the caller's own, so the test knows which trace to read. */
function newTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const describeSpans = (spans: TracedSpan[]) => spans.map((s) => `${s.service}: ${s.name}`).join(', ');

/** The trace once it holds a span for each [service, name]; fails naming what it holds. */
async function traceWith(traceId: string, wanted: [string, string][]): Promise<TracedSpan[]> {
  let last: TracedSpan[] = [];
  try {
    return await eventually(
      async () => {
        last = await readTrace(platform.jaeger.url, traceId);
        return wanted.every(([service, name]) => last.some((s) => s.service === service && s.name === name)) ? last : undefined;
      },
      { timeoutMs: 60_000, what: `trace ${traceId}` },
    );
  } catch {
    throw new Error(`trace ${traceId} lacks some of ${JSON.stringify(wanted)}; it holds: ${describeSpans(last)}`);
  }
}

const span = (spans: TracedSpan[], service: string, name: string) => {
  const found = spans.find((s) => s.service === service && s.name === name);
  if (!found) throw new Error(`no ${service}: ${name} in ${describeSpans(spans)}`);
  return found;
};

describe('one trace per flow, across services', () => {
  it('a catalog change: request → relay publish → indexer batch → Elasticsearch bulk', async () => {
    const { traceId, spanId, traceparent } = newTrace();
    const response = await fetch(`${platform.catalog.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, traceparent },
      body: JSON.stringify(sampleEvent()),
    });
    expect(response.status).toBe(201);
    const spans = await traceWith(traceId, [
      ['catalog', 'POST /api/v1/events'],
      ['catalog', 'catalog.events publish'],
      ['search-indexer', 'catalog.events process'],
      ['search-indexer', 'bulk'],
    ]);
    const request = span(spans, 'catalog', 'POST /api/v1/events');
    expect(request.parentSpanId).toBe(spanId);
    const publish = span(spans, 'catalog', 'catalog.events publish');
    expect(publish.parentSpanId).toBe(request.spanId);
    const batch = span(spans, 'search-indexer', 'catalog.events process');
    expect(batch.parentSpanId).toBe(publish.spanId);
    expect(span(spans, 'search-indexer', 'bulk').parentSpanId).toBe(batch.spanId);
  });

  it('a created teacher: teachers request → relay → identity handles it and writes the user in PostgreSQL', async () => {
    const { traceId, traceparent } = newTrace();
    const response = await fetch(`${platform.teachers.url}/api/v1/teachers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, traceparent },
      body: JSON.stringify({
        tenantId: 'school-a',
        fullName: 'Ada Lovelace',
        email: `ada.${Date.now()}@school.example`,
        phoneNumber: '+4915112345678',
      }),
    });
    expect(response.status).toBe(201);
    const spans = await traceWith(traceId, [
      ['teachers', 'POST /api/v1/teachers'],
      ['teachers', 'teachers.events publish'],
      ['identity', 'teachers.events process'],
    ]);
    const publish = span(spans, 'teachers', 'teachers.events publish');
    expect(publish.parentSpanId).toBe(span(spans, 'teachers', 'POST /api/v1/teachers').spanId);
    const batch = span(spans, 'identity', 'teachers.events process');
    expect(batch.parentSpanId).toBe(publish.spanId);
    // The event handled in its own span, and the user written inside it.
    const handled = spans.find((s) => s.service === 'identity' && s.name.endsWith(' handle'));
    expect(handled?.parentSpanId, describeSpans(spans)).toBe(publish.spanId);
    expect(spans.some((s) => s.service === 'identity' && s.name === 'pg INSERT' && s.parentSpanId === handled?.spanId)).toBe(true);
  });

  const post = async (path: string, body: unknown, traceparent?: string) =>
    fetch(`${platform.payments.url}/api/v1${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomBytes(8).toString('hex'),
        // Completing is the payment provider's; everything else the platform administrator may do.
        authorization: `Bearer ${path.endsWith('/complete') ? await platformCallers(platform.kc, platform.identity.url).provider() : adminToken}`,
        ...(traceparent ? { traceparent } : {}),
      },
      body: JSON.stringify(body),
    });
  let merchant: { id: string };

  it('a completed payment: payments request → relay → the ledger writes its entry', async () => {
    merchant = (await (await post('/merchants', { name: 'Traced shop', email: 'traced@shop.example', currency: 'EUR' })).json()) as {
      id: string;
    };
    const payment = (await (await post(`/merchants/${merchant.id}/payments`, { amountMinor: 1234, currency: 'EUR' })).json()) as {
      id: string;
    };
    const { traceId, traceparent } = newTrace();
    const completed = await post(`/merchants/${merchant.id}/payments/${payment.id}/complete`, null, traceparent);
    expect(completed.status).toBeLessThan(300);
    const spans = await traceWith(traceId, [
      ['payments', 'POST /api/v1/merchants/:id/payments/:paymentId/complete'],
      ['payments', 'payments.events publish'],
      ['ledger', 'payments.events process'],
    ]);
    const publish = span(spans, 'payments', 'payments.events publish');
    const handled = spans.find((s) => s.service === 'ledger' && s.name.endsWith(' handle'));
    expect(handled?.parentSpanId, describeSpans(spans)).toBe(publish.spanId);
    expect(spans.some((s) => s.service === 'ledger' && s.name === 'pg INSERT' && s.parentSpanId === handled?.spanId)).toBe(true);
  });

  it('a withdrawal saga is one trace: payments → ledger approves → payments settles → the ledger books it', async () => {
    const { traceId, traceparent } = newTrace();
    const requested = await post(`/merchants/${merchant.id}/withdrawals`, { amountMinor: 500 }, traceparent);
    expect(requested.status).toBeLessThan(300);
    const spans = await traceWith(traceId, [
      ['payments', 'POST /api/v1/merchants/:id/withdrawals'],
      ['ledger', 'ledger.events publish'],
      ['payments', 'ledger.events process'],
    ]);
    // Each step's span under the one before: request → publish → ledger handles → its answer
    // published → payments handles it → the settlement published → the ledger handles that.
    const request = span(spans, 'payments', 'POST /api/v1/merchants/:id/withdrawals');
    const childOf = (parent: TracedSpan, service: string, test: (s: TracedSpan) => boolean) => {
      const found = spans.find((s) => s.service === service && s.parentSpanId === parent.spanId && test(s));
      if (!found) throw new Error(`no ${service} span under ${parent.service}: ${parent.name} in ${describeSpans(spans)}`);
      return found;
    };
    const asked = childOf(request, 'payments', (s) => s.name === 'payments.events publish');
    const ledgerHandles = childOf(asked, 'ledger', (s) => s.name.endsWith(' handle'));
    const answered = childOf(ledgerHandles, 'ledger', (s) => s.name === 'ledger.events publish');
    const paymentsHandles = childOf(answered, 'payments', (s) => s.name.endsWith(' handle'));
    const settled = await eventually(
      async () => {
        const now = await readTrace(platform.jaeger.url, traceId);
        const publish = now.find((s) => s.parentSpanId === paymentsHandles.spanId && s.name === 'payments.events publish');
        return publish && now.some((s) => s.service === 'ledger' && s.parentSpanId === publish.spanId && s.name.endsWith(' handle'));
      },
      { timeoutMs: 60_000, what: 'the settlement booked by the ledger, in the same trace' },
    );
    expect(settled).toBe(true);
  });
});

describe('the operator, traced', () => {
  it('a new Topic: its reconcile is a trace holding the Kubernetes requests and the Kafka CreateTopics batch', async () => {
    const name = `traced-${Date.now().toString(36)}`;
    const manifest = join(tmpdir(), `${name}.yaml`);
    writeFileSync(
      manifest,
      `apiVersion: eventide.dev/v1alpha1
kind: Topic
metadata:
  name: ${name}
  namespace: eventide
spec:
  topicName: ${name}
  partitions: 1
  replicationFactor: 1
`,
    );
    await platform.kubectl('apply', '-f', manifest);
    const key = `eventide/${name}`;
    const spans = await eventually(
      async () => {
        const search = new URL('/api/traces', platform.jaeger.url);
        search.search = new URLSearchParams({
          service: 'eventide-operator',
          tags: JSON.stringify({ 'eventide.key': key }),
          limit: '20',
        }).toString();
        const found = (await (await fetch(search)).json()) as { data?: { traceID: string }[] };
        for (const { traceID } of found.data ?? []) {
          const trace = await readTrace(platform.jaeger.url, traceID);
          if (trace.some((s) => s.name === 'kafka CreateTopics')) return trace;
        }
        return undefined;
      },
      { timeoutMs: 60_000, what: `a reconcile trace of ${key} that created its topic` },
    );
    const reconcile = span(spans, 'eventide-operator', 'reconcile topic');
    expect(reconcile.parentSpanId).toBeUndefined();
    expect(reconcile.attributes['eventide.key']).toBe(key);
    const create = span(spans, 'eventide-operator', 'kafka CreateTopics');
    expect(create.parentSpanId).toBe(reconcile.spanId);
    expect(create.links.map((l) => l.spanId)).toContain(reconcile.spanId);
    expect(
      spans.some((s) => s.name.startsWith('kube ') && s.parentSpanId === reconcile.spanId),
      describeSpans(spans),
    ).toBe(true);
  });
});
