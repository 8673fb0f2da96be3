/**
 * Bounded waits on Elasticsearch (#28): the search API in front of a node that accepts connections
 * and never answers — what a paused (SIGSTOPped) node looks like to its clients. Searches answer
 * 503 problem+json with Retry-After within ELASTICSEARCH_TIMEOUT_MS (no retry doubling it), and
 * /readyz says not ready within its own second.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { searchApi } from './api.ts';
import { apiConfig } from './config.ts';
import { elasticsearchClient } from './elasticsearch.ts';

describe('the search API before an Elasticsearch that does not answer', () => {
  let frozen: Server;
  const sockets = new Set<Socket>();
  let url: string;

  beforeAll(async () => {
    // Reads whatever comes and never writes a byte back.
    frozen = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((listening) => frozen.listen(0, '127.0.0.1', listening));
    const address = frozen.address();
    if (!address || typeof address !== 'object') throw new Error('no port');
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((closed) => frozen.close(() => closed()));
  });

  it('answers 503 with Retry-After within the timeout, and is not ready', async () => {
    // As search-api's main builds it, from its validated environment (ELASTICSEARCH_TIMEOUT_MS at its default).
    const config = loadConfig('search-api', apiConfig, { ELASTICSEARCH_URL: url });
    expect(config.ELASTICSEARCH_TIMEOUT_MS).toBe(3_000);
    const es = elasticsearchClient(config, { requestTimeout: config.ELASTICSEARCH_TIMEOUT_MS, maxRetries: 0 });
    const app = searchApi({ es, registry: new Registry(), log: pino({ level: 'silent' }) });
    const timed = async (path: string) => {
      const start = performance.now();
      const response = await app.request(path);
      return { response, ms: performance.now() - start };
    };

    const answers = await Promise.all([
      timed('/api/v1/search/events?q=jazz'),
      timed('/api/v1/search/events/0b6f2f4e-8a59-4c59-9d3e-3a7f1a1d2c11'),
      timed('/readyz'),
    ]);
    const [search, byId, ready] = answers;
    for (const { response, ms } of [search, byId]) {
      expect(response?.status).toBe(503);
      expect(response?.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(response?.headers.get('content-type')).toBe('application/problem+json');
      expect(ms).toBeGreaterThanOrEqual(2_900);
      expect(ms).toBeLessThan(4_500);
    }
    expect(ready?.response.status).toBe(503);
    expect(ready?.ms).toBeLessThan(2_000);
    es.close();
  }, 30_000);
});
