import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

describe('password policy', () => {
  it.each([
    ['short', 'ada@school.example', /at least 12/],
    ['ada@school.example', 'ada@school.example', /e-mail/],
    ['ADA@School.Example', 'ada@school.example', /e-mail/],
    ['adalovelace1', 'adalovelace1@school.example', /e-mail/],
    ['x'.repeat(257), 'ada@school.example', /at most 256/],
  ])('%s is refused', (password, email, reason) => {
    expect(passwordProblem(password, email)).toMatch(reason);
  });

  it('twelve characters that are not the e-mail pass, counted as characters, not bytes', () => {
    expect(passwordProblem('correct horse', 'ada@school.example')).toBeUndefined();
    expect(passwordProblem('ääääääääääää', 'ada@school.example')).toBeUndefined();
    expect(passwordProblem('äääääääääää', 'ada@school.example')).toMatch(/at least 12/);
  });
});

describe('password hashes', () => {
  it('verify the password they were made from and no other, with a salt of their own', async () => {
    const first = await hashPassword('correct horse battery');
    const second = await hashPassword('correct horse battery');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(first).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse battery', second)).toBe(true);
    expect(await verifyPassword('correct horse batterY', first)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'md5$abc')).toBe(false);
  });
});
