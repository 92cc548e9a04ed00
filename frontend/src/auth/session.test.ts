import { createAccountSession, fingerprintKey, normalizeApiKey } from './session';
import { signInErrorMessage } from './verifyKey';
import { ApiError } from '../api/client';

describe('normalizeApiKey', () => {
  it.each([
    ['  cs_abc  ', 'cs_abc'],
    ['Bearer cs_abc', 'cs_abc'],
    ['"cs_abc"', 'cs_abc'],
  ])('turns %j into %j', (input, expected) => {
    expect(normalizeApiKey(input)).toBe(expected);
  });
});

describe('fingerprintKey', () => {
  it('is stable, differs between keys and does not contain the key', () => {
    expect(fingerprintKey('cs_secret_1')).toBe(fingerprintKey('cs_secret_1'));
    expect(fingerprintKey('cs_secret_1')).not.toBe(fingerprintKey('cs_secret_2'));
    expect(fingerprintKey('cs_secret_1')).not.toContain('secret');
  });
});

describe('signInErrorMessage', () => {
  it('explains 401 and 403 in the words of the sign-in screen', () => {
    expect(signInErrorMessage(new ApiError({ status: 401, code: 'unauthorized', message: 'x' }))).toBe(
      'Unknown or revoked key',
    );
    expect(signInErrorMessage(new ApiError({ status: 403, code: 'forbidden', message: 'x' }))).toBe(
      'This key cannot read (it needs the read or admin scope)',
    );
  });
});

describe('createAccountSession', () => {
  const account = (user: string, tenant: string) => ({
    user: { id: user, email: 'a@example.com', name: null, email_verified: true },
    role: 'viewer' as const,
    tenant: { id: tenant, slug: 't', name: 'T' },
    csrf_token: 'csrf-secret',
  });
  it('scopes the cache to the person in the tenant, without a key or the CSRF token in the fingerprint', () => {
    const s = createAccountSession(account('u1', 't1'));
    expect(s.apiKey).toBeNull();
    expect(s.keyFingerprint).toBe(createAccountSession(account('u1', 't1')).keyFingerprint);
    expect(s.keyFingerprint).not.toBe(createAccountSession(account('u1', 't2')).keyFingerprint);
    expect(s.keyFingerprint).not.toBe(createAccountSession(account('u2', 't1')).keyFingerprint);
    expect(s.keyFingerprint).not.toContain('csrf');
  });
});
