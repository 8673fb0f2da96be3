import { z } from 'zod';
import { ContractRegistry, defineContract } from '../../lib/contracts.ts';
import { teacher, tenantId } from './schema.ts';

/** What teachers publishes on `teachers.events`, keyed by teacher id: one teacher's changes stay in order. */
export const teachersTopic = 'teachers.events';
const source = '/teachers';
const subject = (data: { id: string }) => data.id;

export const teacherContracts = {
  created: defineContract({
    type: 'dev.eventide.teachers.teacher.created.v1',
    source,
    topic: teachersTopic,
    data: teacher,
    subject,
    description: 'A teacher was created; the data is the teacher as the teachers API answers it.',
  }),
  updated: defineContract({
    type: 'dev.eventide.teachers.teacher.updated.v1',
    source,
    topic: teachersTopic,
    data: teacher,
    subject,
    description: "A teacher's details changed; the data is the teacher after the change.",
  }),
  deleted: defineContract({
    type: 'dev.eventide.teachers.teacher.deleted.v1',
    source,
    topic: teachersTopic,
    data: z.looseObject({ id: z.uuid(), tenantId, version: z.int().min(1).describe('the tombstone version') }),
    subject,
    description: 'A teacher was deleted.',
  }),
};

export const teacherEvents = new ContractRegistry(Object.values(teacherContracts));
export type TeacherChangeKind = keyof typeof teacherContracts;
