/**
 * Page cursors: opaque to clients, and taken back only as this API wrote them. A cursor is a
 * position in a list's order (an id, or an instant and an id) in base64url; decoding checks every
 * part as the store would write it and that it encodes back to the very same text, so any other
 * value — a made-up id, 36 dashes, a year PostgreSQL cannot hold, NUL — is refused (400) before it
 * reaches SQL.
 */
import { toInstant } from '../time.ts';

/** A UUID as PostgreSQL writes one (lower case): every id a cursor holds was read back from it. */
const storedUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const base64url = /^[A-Za-z0-9_-]{1,400}$/;

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
/** The text of a cursor, if it is base64url at all. */
const textOf = (cursor: string) => (base64url.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined);

/** The cursor after the row with this id, for lists in id order. */
export const encodeIdCursor = (id: string): string => encode(id);

/** The id a cursor of encodeIdCursor holds; undefined for anything else. */
export function decodeIdCursor(cursor: string): string | undefined {
  const id = textOf(cursor);
  return id !== undefined && storedUuid.test(id) && encodeIdCursor(id) === cursor ? id : undefined;
}

/** The cursor after the row at this instant (Date#toISOString's form) with this id, for lists in (time, id) order. */
export const encodeTimeIdCursor = (instant: string, id: string): string => encode(JSON.stringify([instant, id]));

/** The instant and id a cursor of encodeTimeIdCursor holds; undefined for anything else. */
export function decodeTimeIdCursor(cursor: string): [string, string] | undefined {
  const text = textOf(cursor);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [instant, id] = value as unknown[];
  if (typeof instant !== 'string' || typeof id !== 'string' || !storedUuid.test(id)) return undefined;
  // The one stored form (UTC, milliseconds) within the years PostgreSQL and Date share.
  const stored = toInstant(instant);
  if (!stored.ok || stored.value !== instant) return undefined;
  return encodeTimeIdCursor(instant, id) === cursor ? [instant, id] : undefined;
}
