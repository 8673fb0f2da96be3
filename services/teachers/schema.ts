import { z } from 'zod';

/** A tenant (a school) id: lowercase letters, digits and dashes, as it appears in URLs and tokens. */
export const tenantId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a tenant id: lowercase letters, digits and dashes, e.g. "school-a"')
  .meta({ examples: ['school-a'] });

/** E.164: a plus, a country code and at most 15 digits in all, e.g. "+4915112345678". */
export const phoneNumber = z
  .string()
  .regex(/^\+[1-9][0-9]{6,14}$/, 'an E.164 number, e.g. "+4915112345678"')
  .meta({ examples: ['+4915112345678'] });

/** Stored and compared in lower case: one mailbox, one teacher per tenant. */
export const email = z
  .email('an e-mail address, e.g. "ada@school.example"')
  .max(254)
  .transform((value) => value.toLowerCase())
  .describe("compared in lower case; a tenant has one live teacher per address (409 for another teacher's)");

const fields = {
  fullName: z.string().trim().min(1).max(200),
  email,
  phoneNumber,
};

/** What an administrator sends to create a teacher. */
export const teacherInput = z.strictObject({ tenantId, ...fields });
export type TeacherInput = z.infer<typeof teacherInput>;

/** A change of contact details: any of the fields; the tenant never changes. */
export const teacherPatch = z
  .strictObject(fields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one of fullName, email, phoneNumber');
export type TeacherPatch = z.infer<typeof teacherPatch>;

/** A teacher as the API answers and the events carry it. */
export const teacher = z.looseObject({
  id: z.uuid(),
  tenantId,
  fullName: fields.fullName,
  email: z.string(),
  phoneNumber,
  version: z.int().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Teacher = z.infer<typeof teacher>;

export const listQuery = z.strictObject({
  tenantId,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().describe('a nextCursor this API returned; any other value is 400'),
});
