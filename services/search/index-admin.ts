import type { Client } from '@elastic/elasticsearch';
import { alias, indexBody, indexName } from './index-definition.ts';

/**
 * Creates the index if it is not there yet; safe for several replicas starting at once (a lost
 * race to create is not an error). Only the current version's index (events-v<indexVersion>)
 * takes the alias, and only when nothing holds it: a reindex target, or any other index, never
 * takes it over — that is swapAlias's job.
 */
export async function ensureIndex(es: Client, index = indexName): Promise<void> {
  if (!(await es.indices.exists({ index }))) {
    try {
      await es.indices.create({ index, ...indexBody });
    } catch (error) {
      if ((error as { body?: { error?: { type?: string } } }).body?.error?.type !== 'resource_already_exists_exception') throw error;
    }
  }
  if (index === indexName && !(await es.indices.existsAlias({ name: alias }))) {
    await es.indices.updateAliases({ actions: [{ add: { index, alias } }] });
  }
}

/** The reindex path's last step: move the alias to a new index atomically. */
export async function swapAlias(es: Client, from: string, to: string): Promise<void> {
  await es.indices.updateAliases({ actions: [{ remove: { index: from, alias } }, { add: { index: to, alias } }] });
}
