import { z } from 'zod';
import { HttpProblem } from './problem.ts';

/** If-Match as the APIs accept it: one strong or weak ETag of a version, or *. */
export const ifMatchHeader = z
  .string()
  .regex(/^\s*(?:\*|(?:W\/)?"\d+")\s*$/, 'an ETag such as "3", or *')
  .meta({ examples: ['"1"', '*'] });

/** The ETag of an entity at `version`. */
export const etag = (version: number) => `"${version}"`;

/** If-Match: "*" or one ETag; the version the client last saw, or undefined. */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined) return undefined;
  if (!ifMatchHeader.safeParse(header).success) return 'invalid';
  const version = /\d+/.exec(header)?.[0];
  return version === undefined ? undefined : Number(version);
}

/** The version If-Match expects, or undefined; a malformed header is 400. */
export function expectedVersion(header: string | undefined): number | undefined {
  const version = parseIfMatch(header);
  if (version === 'invalid') throw new HttpProblem(400, 'Invalid request', 'If-Match must be an ETag such as "3", or *');
  return version;
}
