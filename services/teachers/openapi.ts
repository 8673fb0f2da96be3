import { z } from 'zod';
import { ifMatchHeader } from '../../lib/http/conditional.ts';
import {
  authProblems,
  bearerSecurityScheme,
  problemComponent,
  problemResponses,
  queryParameters,
  schemaOf,
  secured,
} from '../../lib/http/openapi.ts';
import { listQuery, teacher, teacherInput, teacherPatch } from './schema.ts';

/** A teacher as an administrator sends it: the document's example, and the tests' sample. */
export const exampleTeacher = {
  tenantId: 'school-a',
  fullName: 'Ada Lovelace',
  email: 'ada.lovelace@school-a.example',
  phoneNumber: '+4915112345678',
};

const teacherPage = z.strictObject({
  items: z.array(teacher),
  nextCursor: z.string().optional().describe('pass as cursor for the next page; absent on the last page'),
});

const tenantRule =
  'a tenant the caller manages: its own (role admin), or any configured one (platform-admin); any other is 422 unknown tenant';

/** OpenAPI 3.1, generated from the same zod schemas that validate requests and shape responses. */
export function openApiDocument() {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: "the teacher id; an unknown one, one that is not a UUID, or another tenant's (to a tenant admin) answers 404",
    schema: { type: 'string', format: 'uuid' },
  };
  const ifMatch = {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'the ETag (version) last seen, or *; 412 if stale, 400 if not an ETag (an empty value too)',
    schema: schemaOf(ifMatchHeader),
  };
  const etag = { ETag: { description: 'the version, quoted', required: true, schema: { type: 'string', pattern: '^"\\d+"$' } } };
  const withTeacher = (description: string, headers: object = etag) => ({ description, headers, content: json('Teacher') });
  /** The created teacher's id and ETag, for the operations on one teacher. */
  const onCreated = (operationId: string, precondition: boolean) => ({
    operationId,
    parameters: { 'path.id': '$response.body#/id', ...(precondition ? { 'header.If-Match': '$response.header.ETag' } : {}) },
  });
  const manager = secured("a tenant's admin (role admin, its own tenant's teachers only) or a platform-admin");
  const auth = authProblems('a role other than admin or platform-admin (a teacher, a machine client)');
  const unavailable = {
    503: "the database, or identity's signing keys (to verify the token), cannot be reached; retry after Retry-After seconds",
  };
  const notFound = { 404: idParam.description };
  const bodyProblems = {
    413: 'the body is larger than 16 KiB',
    415: 'the body is not application/json or application/merge-patch+json',
  };
  const unknownTenant = { 422: 'unknown tenant: one that is not configured, or (to a tenant admin) another tenant' };
  const emailTaken = { 409: 'the tenant already has a (live) teacher with this e-mail address' };
  const query = queryParameters(listQuery).map((p) =>
    (p as { name: string }).name === 'tenantId' ? { ...p, description: tenantRule } : p,
  );
  const input = schemaOf(teacherInput) as { properties: Record<string, object> };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide teachers',
      version: '1.0.0',
      description:
        "A school's teachers, managed by its administrators: every change is published to Kafka topic teachers.events, and identity gives a created teacher an account only they can activate.",
    },
    paths: {
      '/api/v1/teachers': {
        post: {
          operationId: 'createTeacher',
          summary: 'Create a teacher',
          ...manager,
          // The example is the media type's, for readers: a tenant has one live teacher per e-mail address, so
          // a checker must not send one address twice and makes its own (the schema offers no example of it).
          requestBody: {
            required: true,
            content: { 'application/json': { ...json('TeacherInput')['application/json'], example: exampleTeacher } },
          },
          responses: {
            '201': {
              ...withTeacher('created', {
                ...etag,
                Location: { description: 'the new teacher', required: true, schema: { type: 'string' } },
              }),
              links: {
                get: onCreated('getTeacher', false),
                change: onCreated('changeTeacher', true),
                delete: onCreated('deleteTeacher', true),
              },
            },
            ...problemResponses({
              400: 'malformed JSON, or a body the schema refuses (every field named in errors)',
              ...auth,
              ...emailTaken,
              ...bodyProblems,
              ...unknownTenant,
              ...unavailable,
            }),
          },
        },
        get: {
          operationId: 'listTeachers',
          summary: "A tenant's teachers, by id",
          ...manager,
          parameters: query,
          responses: {
            '200': { description: 'a page', content: json('TeacherPage') },
            ...problemResponses({
              400: 'a query parameter the schema refuses, or a cursor this API did not return',
              ...auth,
              ...unknownTenant,
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/teachers/{id}': {
        get: {
          operationId: 'getTeacher',
          summary: 'One teacher',
          ...manager,
          parameters: [idParam],
          responses: {
            '200': withTeacher('the teacher; ETag is its version'),
            ...problemResponses({ ...auth, ...notFound, ...unavailable }),
          },
        },
        patch: {
          operationId: 'changeTeacher',
          summary: "Change a teacher's contact details (JSON merge patch); the tenant never changes",
          ...manager,
          parameters: [idParam, ifMatch],
          requestBody: {
            required: true,
            content: { ...json('TeacherPatch'), 'application/merge-patch+json': json('TeacherPatch')['application/json'] },
          },
          responses: {
            '200': withTeacher('changed'),
            ...problemResponses({
              400: 'malformed JSON, a body the schema refuses (every field named in errors), or If-Match not an ETag',
              ...auth,
              ...notFound,
              ...emailTaken,
              412: 'If-Match is stale (currentVersion says the current one)',
              ...bodyProblems,
              ...unavailable,
            }),
          },
        },
        delete: {
          operationId: 'deleteTeacher',
          summary: 'Delete a teacher (identity closes their account)',
          ...manager,
          parameters: [idParam, ifMatch],
          responses: {
            '204': { description: 'deleted' },
            ...problemResponses({
              400: 'If-Match is not an ETag (an empty value too)',
              ...auth,
              ...notFound,
              412: 'If-Match is stale (currentVersion says the current one)',
              ...unavailable,
            }),
          },
        },
      },
    },
    components: {
      schemas: {
        TeacherInput: {
          ...input,
          properties: { ...input.properties, tenantId: { ...input.properties.tenantId, description: tenantRule } },
        },
        // At least one field: the schema's refine, which JSON Schema says as minProperties.
        TeacherPatch: { ...schemaOf(teacherPatch), minProperties: 1, examples: [{ fullName: 'Ada King, Countess of Lovelace' }] },
        Teacher: schemaOf(teacher, 'output'),
        TeacherPage: schemaOf(teacherPage, 'output'),
        ...problemComponent,
      },
      securitySchemes: bearerSecurityScheme,
    },
  };
}
