/**
 * The end check of every e2e and chaos scenario: the source of truth (PostgreSQL) against what
 * search serves (Elasticsearch) and what was given up on (the dead-letter topic).
 */
import { Client } from '@elastic/elasticsearch';
import pg from 'pg';
import { kafkaClient } from '../../lib/kafka.ts';
import { alias } from '../../services/search/index-definition.ts';

export interface Comparison {
  /** Live events in PostgreSQL. */
  events: number;
  /** Documents in the search index. */
  documents: number;
  /** In PostgreSQL, not in search. */
  missing: string[];
  /** In search at another version than PostgreSQL's latest. */
  stale: { id: string; database: number; search: number }[];
  /** In search but deleted or unknown in PostgreSQL. */
  extra: string[];
  /** Messages in the dead-letter topic. */
  deadLettered: number;
}

export const converged = (c: Comparison) => c.missing.length === 0 && c.stale.length === 0 && c.extra.length === 0;

/** What differs, in one line, for assertion messages and progress output. */
export const describeComparison = (c: Comparison) =>
  `${c.events} events, ${c.documents} documents; missing ${c.missing.length}, stale ${c.stale.length}, extra ${c.extra.length}; dead-lettered ${c.deadLettered}`;

/** Every document of an index: id → version. */
export async function indexedVersions(es: Client, index = alias): Promise<Map<string, number>> {
  await es.indices.refresh({ index });
  const found = new Map<string, number>();
  let after: (string | number)[] | undefined;
  for (;;) {
    const page = await es.search<{ version: number }>({
      index,
      size: 5_000,
      sort: [{ id: 'asc' }],
      _source: ['version'],
      ...(after ? { search_after: after } : {}),
    });
    for (const hit of page.hits.hits) found.set(hit._id as string, hit._source?.version ?? -1);
    const last = page.hits.hits.at(-1);
    if (!last?.sort || page.hits.hits.length < 5_000) return found;
    after = last.sort as (string | number)[];
  }
}

async function deadLettered(brokers: string[], topic: string): Promise<number> {
  const admin = kafkaClient({ clientId: 'eventide-convergence', brokers }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export async function compareStores(o: {
  databaseUrl: string;
  elasticsearchUrl: string;
  brokers: string[];
  deadLetterTopic?: string;
}): Promise<Comparison> {
  const db = new pg.Client({ connectionString: o.databaseUrl });
  await db.connect();
  const es = new Client({ node: o.elasticsearchUrl });
  try {
    const [{ rows }, documents, dlq] = await Promise.all([
      db.query<{ id: string; version: number }>('SELECT id, version FROM events WHERE NOT deleted'),
      indexedVersions(es),
      deadLettered(o.brokers, o.deadLetterTopic ?? 'search-indexer.dlq'),
    ]);
    const live = new Map(rows.map((r) => [r.id, Number(r.version)]));
    const c: Comparison = { events: live.size, documents: documents.size, missing: [], stale: [], extra: [], deadLettered: dlq };
    for (const [id, version] of live) {
      const indexed = documents.get(id);
      if (indexed === undefined) c.missing.push(id);
      else if (indexed !== version) c.stale.push({ id, database: version, search: indexed });
    }
    for (const id of documents.keys()) if (!live.has(id)) c.extra.push(id);
    return c;
  } finally {
    await db.end();
    await es.close();
  }
}

/** Compares until the stores agree or the time is up; returns the last comparison and when it held. */
export async function waitForConvergence(
  o: Parameters<typeof compareStores>[0],
  timeoutMs: number,
): Promise<{ comparison: Comparison; convergedAt?: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const comparison = await compareStores(o).catch(() => undefined);
    if (comparison && converged(comparison)) return { comparison, convergedAt: Date.now() };
    if (Date.now() > deadline) return { comparison: comparison ?? (await compareStores(o)) };
    await new Promise((r) => setTimeout(r, 500));
  }
}
