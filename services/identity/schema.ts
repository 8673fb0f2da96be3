/** What identity's HTTP API accepts and answers: the schemas that validate requests, and from which openapi.ts is generated. */
import { z } from 'zod';
import { roles } from '../../lib/authorization.ts';
import { email, phoneNumber, tenantId } from '../teachers/schema.ts';
import { clientRoles } from './client-credentials.ts';

const password = z.string().min(1).max(1024);

export const activationInput = z.strictObject({
  token: z.string().min(1).max(200).describe('the one-time token of the activation message: 400 when unknown, used, revoked or expired'),
  password: password.describe('the new password: 422 when refused (too short, too long, or the e-mail address)'),
});

export const loginInput = z.strictObject({
  tenantId,
  email,
  password: password.describe("the account's password: 401 when wrong, or when the account is not Active"),
  phoneNumber: z
    .never({
      error: 'login by phone number is not supported: phone numbers are not unique, so one cannot name an account; log in with email',
    })
    .optional()
    .describe('not accepted: phone numbers are not unique; log in with email'),
});

export const loginResponse = z.object({
  accessToken: z.string().describe('an EdDSA JWT, verifiable with /.well-known/jwks.json'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().describe('seconds until the token expires'),
});

/** One address (tenant and e-mail): for resending an activation, and for making a tenant's administrator. */
export const accountInput = z.strictObject({ tenantId, email });

export const userQuery = z
  .strictObject({ tenantId, email: email.optional(), phoneNumber: phoneNumber.optional() })
  .refine((l) => (l.email === undefined) !== (l.phoneNumber === undefined), 'give exactly one of email and phoneNumber');

export const user = z.object({
  id: z.uuid(),
  tenantId,
  entityType: z
    .enum(['teacher', 'admin', 'bootstrap'])
    .describe('what the user stands for: a teacher, a tenant administrator, the bootstrap administrator'),
  entityId: z.string(),
  email: z.string(),
  phoneNumber: z.string().optional(),
  role: z.enum(roles),
  status: z.enum(['PendingActivation', 'Active', 'Disabled']),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const userList = z.object({ items: z.array(user) });

const clientName = z.string().trim().min(1).max(200);
export const clientInput = z.discriminatedUnion('role', [
  z.strictObject({
    name: clientName,
    role: z.literal('merchant'),
    merchantId: z.uuid().describe('the one merchant its tokens may act for'),
  }),
  z.strictObject({ name: clientName, role: z.literal('payment-provider') }),
  z.strictObject({
    name: clientName,
    role: z.literal('organizer'),
    organizerId: z.uuid().describe("its tokens' subject: the organizer it writes for"),
  }),
]);

export const client = z.object({
  clientId: z.string(),
  name: z.string(),
  role: z.enum(clientRoles),
  merchantId: z.uuid().optional(),
  organizerId: z.uuid().optional(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  previousSecretValidUntil: z.string().optional().describe('after a rotation: until when the previous secret still works'),
  revokedAt: z.string().optional(),
});
export const clientWithSecret = client.extend({
  clientSecret: z.string().describe('shown this once: only a hash of it is stored'),
});

/** The token endpoint's form, for the document: token-request.ts reads it by RFC 6749's rules (an empty parameter is absent, none repeats). */
export const tokenForm = z.object({
  grant_type: z.literal('client_credentials'),
  scope: z.string().optional().describe("space-separated; default: all the client's scopes"),
  client_id: z.string().optional().describe('with client_secret, when not authenticating by HTTP Basic'),
  client_secret: z.string().optional().describe('with client_id, when not authenticating by HTTP Basic (both: 400)'),
});
export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.int(),
  scope: z.string().optional(),
});
