import { describe, expect, it } from 'vitest';
import { teacherInput, teacherPatch } from './schema.ts';

const valid = { tenantId: 'school-a', fullName: 'Ada Lovelace', email: 'Ada@School.example', phoneNumber: '+4915112345678' };

describe('teacher input', () => {
  it('keeps the e-mail in lower case', () => {
    expect(teacherInput.parse(valid).email).toBe('ada@school.example');
  });

  it.each([
    ['phoneNumber', { phoneNumber: '0151 12345678' }],
    ['phoneNumber', { phoneNumber: '+0151123456' }],
    ['email', { email: 'not-an-address' }],
    ['tenantId', { tenantId: 'School A' }],
    ['fullName', { fullName: '  ' }],
  ])('refuses a bad %s', (path, override) => {
    const result = teacherInput.safeParse({ ...valid, ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('refuses unknown fields, and a patch can neither be empty nor move the teacher to another tenant', () => {
    expect(teacherInput.safeParse({ ...valid, role: 'admin' }).success).toBe(false);
    expect(teacherPatch.safeParse({}).success).toBe(false);
    expect(teacherPatch.safeParse({ tenantId: 'school-b' }).success).toBe(false);
    expect(teacherPatch.parse({ phoneNumber: '+4930123456' })).toEqual({ phoneNumber: '+4930123456' });
  });
});
