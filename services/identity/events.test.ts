import { describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../lib/cloudevents.ts';
import { encodeEvent } from '../../lib/contracts.ts';
import { teacherContracts } from '../teachers/events.ts';
import { teacherChangeOf, teacherEvents } from './events.ts';

const teacher = {
  id: '5f0c7c39-5c4e-4c59-9a8c-0b8e4d7e9b11',
  tenantId: 'school-a',
  fullName: 'Ada Lovelace',
  email: 'Ada@School.example',
  phoneNumber: '+4915112345678',
  version: 2,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
};
const received = (record: ReturnType<typeof encodeEvent>, key = record.key) => ({ key, value: record.value, headers: record.headers });

describe('teacher events as identity reads them', () => {
  it('a created teacher: its tenant, version and contact details, the e-mail in lower case', () => {
    const change = teacherChangeOf(teacherEvents.decode(received(encodeEvent(teacherContracts.created, teacher))));
    expect(change).toEqual({
      kind: 'created',
      teacherId: teacher.id,
      tenantId: 'school-a',
      version: 2,
      email: 'ada@school.example',
      phoneNumber: '+4915112345678',
    });
  });

  it('a deleted teacher carries no contact details', () => {
    const record = encodeEvent(teacherContracts.deleted, { id: teacher.id, tenantId: 'school-a', version: 3 });
    expect(teacherChangeOf(teacherEvents.decode(received(record)))).toEqual({
      kind: 'deleted',
      teacherId: teacher.id,
      tenantId: 'school-a',
      version: 3,
    });
  });

  it('a key that names another teacher is refused', () => {
    const record = encodeEvent(teacherContracts.updated, teacher);
    expect(() => teacherChangeOf(teacherEvents.decode(received(record, 'another')))).toThrow(EnvelopeError);
  });

  it('a phone number that is not E.164 breaks the contract', () => {
    expect(() => encodeEvent(teacherContracts.created, { ...teacher, phoneNumber: '0151 1234' })).toThrow(/phoneNumber/);
  });
});
