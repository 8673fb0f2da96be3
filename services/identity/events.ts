import { z } from 'zod';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { ContractRegistry, type DecodedEvent, defineContract } from '../../lib/contracts.ts';
import { teacherContracts } from '../teachers/events.ts';
import { phoneNumber, tenantId } from '../teachers/schema.ts';

/** What identity publishes on `identity.events`, keyed by user id. Its consumer is whatever delivers the token (e-mail, SMS). */
export const identityTopic = 'identity.events';

export const identityContracts = {
  /** The token in clear: only where identity is told so (ACTIVATION_TOKEN_IN_CLEAR=true, development); else v2. */
  activationRequested: defineContract({
    type: 'dev.eventide.identity.activation.requested.v1',
    source: '/identity',
    topic: identityTopic,
    data: z.looseObject({
      userId: z.uuid(),
      tenantId,
      email: z.string(),
      phoneNumber: phoneNumber.optional(),
      token: z.string().describe('the one-time activation token, for the user alone: deliver it, never log it'),
      expiresAt: z.string().describe('when the token stops working (RFC 3339)'),
    }),
    subject: (data) => data.userId,
    description: "A user's account waits for activation; the deliverer sends the token to the user (e-mail or SMS).",
  }),
  /**
   * v2: the token travels only encrypted to the deliverer (activation-delivery.ts), so reading the
   * topic (or the outbox) does not activate anyone. A new type, because v1's required clear
   * `token` is gone: removing a required field is incompatible.
   */
  activationRequestedSealed: defineContract({
    type: 'dev.eventide.identity.activation.requested.v2',
    source: '/identity',
    topic: identityTopic,
    data: z.looseObject({
      userId: z.uuid(),
      tenantId,
      email: z.string(),
      phoneNumber: phoneNumber.optional(),
      expiresAt: z.string().describe('when the token stops working (RFC 3339)'),
      tokenJwe: z
        .string()
        .regex(/^[\w-]+\.[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWE')
        .describe(
          "compact JWE (RFC 7516) to the deliverer's public key — alg ECDH-ES+A256KW (EC/X25519) or RSA-OAEP-256, enc A256GCM, kid of the key — of JSON {userId, email, phoneNumber?, token, expiresAt}: deliver the token to the address inside (check its userId is this event's), never log it",
        ),
    }),
    subject: (data) => data.userId,
    description:
      "A user's account waits for activation; the deliverer decrypts the token with its private key and sends it to the user (e-mail or SMS). Nobody else who reads the topic can.",
  }),
};

/** What identity understands on teachers.events. */
export const teacherEvents = new ContractRegistry(Object.values(teacherContracts));

/** One teacher change as identity applies it. */
export interface TeacherChange {
  kind: 'created' | 'updated' | 'deleted';
  teacherId: string;
  tenantId: string;
  version: number;
  email?: string;
  phoneNumber?: string;
}

const kinds = new Map(Object.entries(teacherContracts).map(([kind, c]) => [c.type, kind as TeacherChange['kind']]));

/** A decoded teacher event as a change; the key, subject and data must name the same teacher. */
export function teacherChangeOf(event: DecodedEvent): TeacherChange {
  const kind = kinds.get(event.type);
  if (!kind) throw new EnvelopeError(`unknown ce_type ${JSON.stringify(event.type)}`);
  const data = event.data as { id: string; tenantId: string; version: number; email?: string; phoneNumber?: string };
  if (event.key !== event.subject || data.id !== event.subject)
    throw new EnvelopeError('the record key, ce_subject and the data must all name the same teacher');
  return {
    kind,
    teacherId: data.id,
    tenantId: data.tenantId,
    version: data.version,
    ...(kind === 'deleted' ? {} : { email: data.email?.toLowerCase(), phoneNumber: data.phoneNumber }),
  };
}
