import { z } from 'zod';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { ContractRegistry, type DecodedEvent, defineContract } from '../../lib/contracts.ts';
import { teacherContracts } from '../teachers/events.ts';
import { phoneNumber, tenantId } from '../teachers/schema.ts';

/** What identity publishes on `identity.events`, keyed by user id. Its consumer is whatever delivers the token (e-mail, SMS). */
export const identityTopic = 'identity.events';

export const identityContracts = {
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
