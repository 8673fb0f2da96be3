import { z } from 'zod';

/** GET …/entries' query: what the API validates and its OpenAPI document describes. */
export const entriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().describe('a nextCursor this API returned; any other value is 400'),
});
