import { homedir } from 'node:os';
import { join } from 'node:path';

/** Downloads and builds are cached outside the clone, keyed by version, so a second run fetches nothing. */
export function cacheDir(...parts: string[]): string {
  return join(process.env.EVENTIDE_CACHE ?? join(homedir(), '.cache', 'eventide'), ...parts);
}
