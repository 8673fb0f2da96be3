// @needs kafka elasticsearch postgres jaeger
/**
 * One catalog change followed through every hop as the programs run in production (their own
 * processes, tracing on by the standard OTEL_* variables) into a real Jaeger: the request, the
 * outbox, the relay's publish, the indexer's batch and its Elasticsearch bulk in one trace.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConsumerTopics } from '../../devkit/kafka.ts';
import { freePort } from '../../devkit/ports.ts';
import { type Launched, launchProgram, waitUntilReady } from '../../devkit/process.ts';
import { principals, startTokenIssuer, type TokenIssuer } from '../../devkit/token-issuer.ts';
import { readTrace, type TracedSpan } from '../../devkit/traces.ts';
import { kafkaClient } from '../../lib/kafka.ts';
import { eventually } from '../../operator/testing/harness.ts';
import { changeTopic } from '../../services/catalog/events.ts';
import { freshDatabase, sampleEvent } from '../../services/catalog/testing/fixtures.ts';

const brokers = inject('kafkaBrokers');
const jaeger = inject('jaegerUrl');
const logs = mkdtempSync(join(tmpdir(), 'eventide-tracing-test-'));
const suffix = randomUUID().slice(0, 8);
const running: Launched[] = [];
const procs = new Map<string, Launched>();
const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: inject('otlpEndpoint'), LOG_LEVEL: 'info' };
let catalogUrl = '';
let issuer: TokenIssuer;
/** The writes' token: an organizer's, of the sample event's organizer. */
let writer: Record<string, string>;

async function start(entry: string, name: string, env: Record<string, string>, port: number) {
  const proc = launchProgram(entry, { name, logDir: logs, env: { ...tracing, ...env, PORT: String(port) } });
  running.push(proc);
  const url = `http://127.0.0.1:${port}`;
  procs.set(url, proc);
  await waitUntilReady(
    proc,
    () =>
      fetch(`${url}/readyz`)
        .then((r) => r.ok)
        .catch(() => false),
    { timeoutMs: 60_000, what: `ready on ${url}` },
  );
  return url;
}

beforeAll(async () => {
  const admin = kafkaClient({ clientId: 'tracing-test', brokers: brokers.split(',') }).admin();
  await admin.connect();
  await createConsumerTopics(admin, { topic: changeTopic, groupId: `traced-indexer-${suffix}`, partitions: 6 });
  await admin.disconnect();
  const databaseUrl = await freshDatabase(inject('databaseUrl'));
  issuer = await startTokenIssuer();
  writer = await issuer.bearer(principals.platformAdmin());
  catalogUrl = await start(
    'services/catalog/main.ts',
    'catalog',
    { KAFKA_BROKERS: brokers, DATABASE_URL: databaseUrl, IDENTITY_JWKS_URL: issuer.jwksUrl },
    await freePort(),
  );
  await start(
    'services/search/indexer-main.ts',
    'search-indexer',
    {
      KAFKA_BROKERS: brokers,
      ELASTICSEARCH_URL: inject('elasticsearchUrl'),
      KAFKA_GROUP_ID: `traced-indexer-${suffix}`,
      ELASTICSEARCH_INDEX: `events-traced-${suffix}`,
    },
    await freePort(),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
  await issuer?.stop();
});

const one = (spans: TracedSpan[], service: string, name: string) => spans.find((s) => s.service === service && s.name === name);

describe('a catalog change, traced', () => {
  it('is one trace: the request, its INSERT, the relay publish, the indexer batch and the Elasticsearch bulk, each the child of the one before', async () => {
    // The caller's own trace: the catalog's server span must continue it.
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const response = await fetch(`${catalogUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...writer, traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify(sampleEvent({ name: `traced ${suffix}` })),
    });
    expect(response.status).toBe(201);

    const spans = await eventually(
      async () => {
        const found = await readTrace(jaeger, traceId);
        // Each process exports its spans in its own batches: wait for both ends.
        return one(found, 'search-indexer', 'bulk') && one(found, 'catalog', `${changeTopic} publish`) ? found : undefined;
      },
      { timeoutMs: 60_000, what: `the trace ${traceId} to hold the catalog's and the indexer's spans` },
    );
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);

    const request = one(spans, 'catalog', 'POST /api/v1/events');
    expect(request, JSON.stringify(spans.map((s) => `${s.service}: ${s.name}`))).toBeDefined();
    expect(request?.parentSpanId).toBe(callerSpan);
    expect(request?.attributes['http.response.status_code']).toBe('201');
    const insert = spans.find((s) => s.service === 'catalog' && s.name === 'pg INSERT' && s.parentSpanId === request?.spanId);
    // The change and its outbox row in one statement (a data-modifying CTE).
    expect(insert?.attributes['db.query.text']).toMatch(/INSERT INTO/);

    const publish = one(spans, 'catalog', `${changeTopic} publish`);
    expect(publish?.kind).toMatch(/PRODUCER|4/);
    expect(publish?.parentSpanId).toBe(request?.spanId);

    const process = one(spans, 'search-indexer', `${changeTopic} process`);
    expect(process?.kind).toMatch(/CONSUMER|5/);
    expect(process?.parentSpanId).toBe(publish?.spanId);
    expect(process?.links.map((l) => l.spanId)).toContain(publish?.spanId);

    const bulk = one(spans, 'search-indexer', 'bulk');
    expect(bulk?.parentSpanId).toBe(process?.spanId);
    expect(bulk?.attributes['db.system']).toBe('elasticsearch');
  }, 120_000);
});

describe('the probes', () => {
  it('are no trace, even with a sampled caller: the kubelet and Prometheus ask every few seconds', async () => {
    const probeTrace = randomBytes(16).toString('hex');
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await fetch(`${catalogUrl}${path}`, {
        headers: { traceparent: `00-${probeTrace}-${randomBytes(8).toString('hex')}-01` },
      });
      expect(response.status).toBe(200);
    }
    // Then a traced request: the catalog exports spans in the order they end, so once this one's is
    // in Jaeger, any span a probe made would be there too.
    const marker = randomBytes(16).toString('hex');
    const response = await fetch(`${catalogUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...writer, traceparent: `00-${marker}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify(sampleEvent({ name: `after the probes ${suffix}` })),
    });
    expect(response.status).toBe(201);
    await eventually(async () => one(await readTrace(jaeger, marker), 'catalog', 'POST /api/v1/events'), {
      timeoutMs: 60_000,
      what: `the trace ${marker} to hold the catalog's request span`,
    });
    expect(await readTrace(jaeger, probeTrace)).toEqual([]);
  }, 120_000);
});

describe('a collector that does not answer', () => {
  it('loses no write and does not hold the exit: every POST lands, and SIGTERM ends in exit 0', async () => {
    // Accepts connections and never answers, as a frozen Jaeger would: the worst case for an exporter.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolveListen) => silent.listen(0, '127.0.0.1', resolveListen));
    const { port } = silent.address() as AddressInfo;
    try {
      const url = await start(
        'services/catalog/main.ts',
        'catalog-silent-collector',
        {
          KAFKA_BROKERS: brokers,
          DATABASE_URL: await freshDatabase(inject('databaseUrl')),
          IDENTITY_JWKS_URL: issuer.jwksUrl,
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        },
        await freePort(),
      );
      const statuses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          fetch(`${url}/api/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...writer },
            body: JSON.stringify(sampleEvent({ name: `unexported ${i}` })),
          }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s !== 201)).toEqual([]);
      const proc = procs.get(url) as Launched;
      // SIGTERM; SIGKILL only if the flush to the silent collector held the exit past 20 s (runService
      // gives the flush 2 s).
      await proc.stop(20_000);
      expect(await proc.exited).toBe(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 120_000);
});
