import { z } from 'zod';

const fields = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000),
    category: z.string().trim().min(1).max(50),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
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
const endsAfterStartError = { message: 'endsAt must be after startsAt', path: ['endsAt'] };

/** What a client sends to create or replace an event; also the OpenAPI document's source. */
export const eventInput = fields
  .extend({ description: fields.shape.description.default(''), status: fields.shape.status.default('draft') })
  .refine(endsAfterStart, endsAfterStartError);

export type EventInput = z.infer<typeof eventInput>;

/** PATCH: any subset of the fields; the merged event is checked with eventInput again. */
export const eventPatch = fields.partial().strict();

export interface Event extends EventInput {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const listQuery = z
  .object({
    category: z.string().min(1).max(50).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();
