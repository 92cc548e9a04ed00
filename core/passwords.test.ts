import { hashPassword, needsRehash, passwordProblem, PASSWORD_MIN_LENGTH, verifyPassword } from './passwords';
import { COMMON_PASSWORDS } from './common-passwords';

describe('password hashes (scrypt)', () => {
  it('verifies the password it was made from and nothing else; the parameters travel with the hash', async () => {
    const stored = await hashPassword('correct horse battery', 14);
    expect(stored).toMatch(/^scrypt\$14\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(stored).not.toContain('correct');
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
    // Salted: the same password hashes differently each time.
    expect(await hashPassword('correct horse battery', 14)).not.toBe(stored);
  });

  it('never matches a malformed or foreign stored hash', async () => {
    for (const bad of ['', 'scrypt$14$8$1$x', 'bcrypt$10$abc', 'scrypt$40$8$1$AAAA$BBBB', 'scrypt$14$8$1$AAAA$short'])
      await expect(verifyPassword('whatever-password', bad)).resolves.toBe(false);
  });

  it('asks for a rehash when the stored cost is lower than the configured one', async () => {
    const stored = await hashPassword('correct horse battery', 14);
    expect(needsRehash(stored, 14)).toBe(false);
    expect(needsRehash(stored, 15)).toBe(true);
    expect(needsRehash('garbage', 14)).toBe(true);
  });
});

describe('password policy', () => {
  it('refuses short, common (any case), one-character and e-mail-containing passwords', () => {
    expect(passwordProblem('a'.repeat(PASSWORD_MIN_LENGTH - 1) + 'b'.slice(1))).toMatch(/at least 10/);
    expect(passwordProblem('short')).toMatch(/at least/);
    expect(passwordProblem('Password123')).toMatch(/most common/);
    expect(passwordProblem('QWERTYUIOP')).toMatch(/most common/);
    expect(passwordProblem('zzzzzzzzzzzz')).toMatch(/repeats/);
    expect(passwordProblem('ana.lopez-2026!', 'ana.lopez@example.com')).toMatch(/e-mail/);
    expect(passwordProblem('x'.repeat(300) + 'y')).toMatch(/at most/);
    expect(passwordProblem('violet tractor sings')).toBeUndefined();
    expect(passwordProblem('violet tractor sings', 'ana@example.com')).toBeUndefined();
  });

  it('counts characters, not UTF-16 units', () => {
    expect(passwordProblem('🔑'.repeat(PASSWORD_MIN_LENGTH - 1))).toMatch(/at least/);
    expect(passwordProblem('🔑🐢'.repeat(PASSWORD_MIN_LENGTH))).toBeUndefined();
  });

  it('keeps its list lower-case and at the minimum length or above (shorter ones are refused anyway)', () => {
    for (const p of COMMON_PASSWORDS)
      expect([p, p === p.toLowerCase() && p.length >= PASSWORD_MIN_LENGTH]).toEqual([p, true]);
  });
});
