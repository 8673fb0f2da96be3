/**
 * Request → visible in search, as a user sees it: a POST to the catalog, then a tracker that asks
 * Elasticsearch every 50 ms, with _search (which sees only refreshed documents, unlike a GET), for
 * the ids acknowledged but not yet seen. Shared by bench/pipeline and bench/tracing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { sampleEvent } from '../../scripts/local/load-generator.ts';

export interface Sample {
  sent: number;
  acked?: number;
  visible?: number;
}

/** Finds acknowledged ids in the index with a _search, as a user's query would. */
export class VisibilityTracker {
  private readonly pending = new Map<string, Sample>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(es: Client, index: string) {
    this.loop = (async () => {
      while (this.running || this.pending.size > 0) {
        const ids = [...this.pending.keys()].slice(0, 5_000);
        if (ids.length > 0) {
          const result = await es
            .search({ index, size: ids.length, _source: false, query: { ids: { values: ids } } })
            .catch(() => undefined);
          const at = performance.now();
          for (const hit of result?.hits.hits ?? []) {
            const sample = this.pending.get(hit._id as string);
            if (sample) sample.visible = at;
            this.pending.delete(hit._id as string);
          }
        }
        await sleep(50);
      }
    })();
  }

  watch(id: string, sample: Sample) {
    this.pending.set(id, sample);
  }

  /** Stops once everything watched is visible or the grace period is over. */
  async finish(graceMs: number): Promise<void> {
    this.running = false;
    const deadline = Date.now() + graceMs;
    while (this.pending.size > 0 && Date.now() < deadline) await sleep(50);
    this.pending.clear();
    await this.loop;
  }
}

/** `token`: a platform administrator's, which writes any organizer's events; callers take a fresh one per run (they live 15 minutes). */
export async function create(catalogUrl: string, samples: Sample[], tracker: VisibilityTracker, token: string): Promise<boolean> {
  const sample: Sample = { sent: performance.now() };
  samples.push(sample);
  try {
    const response = await fetch(`${catalogUrl}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(sampleEvent()),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 201 || !body.id) return false;
    sample.acked = performance.now();
    tracker.watch(body.id, sample);
    return true;
  } catch {
    return false;
  }
}
