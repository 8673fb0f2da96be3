import { z } from 'zod';
import { instant } from '../../lib/time.ts';

const fields = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000),
    category: z.string().trim().min(1).max(50),
    /** Times follow the platform's rule (lib/time.ts) and are stored as UTC. */
    startsAt: instant,
    endsAt: instant,
    venue: z.string().trim().min(1).max(200),
    city: z.string().trim().min(1).max(100),
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code, e.g. "DE"'),
    capacity: z.int().min(0).max(10_000_000),
    /** Money in integer minor units (cents), never floats. */
    priceMinor: z.int().min(0).max(10_000_000_000),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. "EUR"'),
    organizerId: z.uuid(),
    status: z.enum(['draft', 'published', 'cancelled']),
  })
  .strict();

const endsAfterStart = (e: { startsAt: string; endsAt: string }) => Date.parse(e.endsAt) > Date.parse(e.startsAt);
const endsAfterStartError = {
  message: 'endsAt must be after startsAt',
  path: ['endsAt'],
  // Only between two valid times: a refused startsAt must not also be reported as a bad endsAt.
  when: (payload: { issues: unknown[] }) => payload.issues.length === 0,
};

/** A rule across two fields, which JSON Schema cannot state, so the document says it on both. */
const endsAfterStartRule = 'endsAt must be after startsAt (in a PATCH: those of the merged event); otherwise 400';
const withRule = <T extends z.ZodType>(schema: T) =>
  schema.describe([z.toJSONSchema(schema, { io: 'input' }).description, endsAfterStartRule].filter(Boolean).join(' '));
const ruled = fields.extend({ startsAt: withRule(fields.shape.startsAt), endsAt: withRule(fields.shape.endsAt) });

/** What a client sends to create or replace an event; also the OpenAPI document's source. */
export const eventInput = ruled
  .extend({ description: fields.shape.description.default(''), status: fields.shape.status.default('draft') })
  .refine(endsAfterStart, endsAfterStartError);

export type EventInput = z.infer<typeof eventInput>;

/** PATCH: any subset of the fields; the merged event is checked with eventInput again. */
export const eventPatch = ruled.partial().strict();

/** An event as the API answers it (and as it is published): the fields, its id and its version. */
export const event = fields.extend({
  // As stored: already normalised to UTC.
  startsAt: z.iso.datetime(),
  endsAt: z.iso.datetime(),
  id: z.uuid(),
  version: z.int().min(1).describe('grows with every change; also the ETag'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Event = z.infer<typeof event>;

export const eventPage = z
  .object({
    items: z.array(event),
    nextCursor: z.string().optional().describe('pass as cursor for the next page; absent on the last page'),
  })
  .strict();

/** If-Match: one ETag (the version, weak or strong) or `*`; anything else, an empty value too, is 400. */
export { ifMatchHeader } from '../../lib/http/conditional.ts';
export const idempotencyKeyHeader = z.string().min(1).max(200);

export const listQuery = z
  .object({
    category: z.string().min(1).max(50).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional().describe('a nextCursor this API returned; any other value is 400'),
  })
  .strict();
