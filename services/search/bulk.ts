import type { Change } from '../catalog/events.ts';
import { indexName } from './index-definition.ts';

export type BulkAction =
  | [{ index: { _index: string; _id: string; version: number; version_type: 'external' } }, Record<string, unknown>]
  | [{ delete: { _index: string; _id: string; version: number; version_type: 'external' } }];

/**
 * One change → its bulk action. External versioning makes Elasticsearch keep a document only if
 * the change's version is newer: a replay, a duplicate or a late, older change is refused (409) and
 * can never make the document older.
 */
export function bulkAction(change: Change, index = indexName): BulkAction {
  const target = { _index: index, _id: change.entityId, version: change.version, version_type: 'external' as const };
  if (change.kind === 'deleted') return [{ delete: target }];
  return [{ index: target }, change.data];
}

export interface ItemOutcome {
  ok: boolean;
  /** Worth trying again: Elasticsearch was overloaded or unavailable for this item. */
  retriable: boolean;
  reason?: string;
}

/**
 * What a bulk item's answer means for the change: success, or a stale version (also success:
 * something newer is already there), or a deleted document not found (success: it is gone).
 */
export function outcome(item: { status: number; error?: { type?: string; reason?: string } }, kind: Change['kind']): ItemOutcome {
  if (item.status >= 200 && item.status < 300) return { ok: true, retriable: false };
  if (item.status === 409 && item.error?.type === 'version_conflict_engine_exception') return { ok: true, retriable: false };
  if (item.status === 404 && kind === 'deleted') return { ok: true, retriable: false };
  const retriable = item.status === 429 || item.status >= 500;
  return { ok: false, retriable, reason: `${item.status} ${item.error?.type ?? 'error'}: ${item.error?.reason ?? 'no reason given'}` };
}
