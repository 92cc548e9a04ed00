import fc from 'fast-check';
import {
  emailVerificationRefusal,
  clearedSessionCookie,
  emailProblem,
  memberChangeRefusal,
  hashSessionId,
  looksLikeSessionId,
  newSessionId,
  normaliseEmail,
  roleAllows,
  ROLES,
  sessionCookie,
  sessionIdOfCookies,
  sessionState,
  slugOfOrganization,
  textsEqual,
  throttleWindow,
} from './accounts';
import { SLUG_PATTERN } from './tenants';

describe('roles', () => {
  it('orders viewer < editor < admin < owner', () => {
    const allowed = ROLES.flatMap((role) =>
      ROLES.filter((req) => roleAllows(role, req)).map((req) => `${role}>=${req}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'owner>=owner',
        'owner>=admin',
        'owner>=editor',
        'owner>=viewer',
        'admin>=admin',
        'admin>=editor',
        'admin>=viewer',
        'editor>=editor',
        'editor>=viewer',
        'viewer>=viewer',
      ].sort(),
    );
  });
});

describe('member changes', () => {
  it('need admin or above, and an owner for anything touching an owner', () => {
    expect(memberChangeRefusal('editor', 'viewer', 'editor')).toMatch(/admin role/);
    expect(memberChangeRefusal('admin', 'viewer', 'editor')).toBeUndefined();
    expect(memberChangeRefusal('admin', 'viewer', null)).toBeUndefined();
    expect(memberChangeRefusal('admin', 'viewer', 'owner')).toMatch(/Only an owner/);
    expect(memberChangeRefusal('admin', 'owner', 'admin')).toMatch(/Only an owner/);
    expect(memberChangeRefusal('admin', 'owner', null)).toMatch(/Only an owner/);
    expect(memberChangeRefusal('owner', 'owner', null)).toBeUndefined();
  });
});

describe('e-mail addresses and organizations', () => {
  it('compares addresses lower-cased and trimmed, and refuses what is not an address', () => {
    expect(normaliseEmail('  Ana@Example.COM ')).toBe('ana@example.com');
    expect(emailProblem('ana@example.com')).toBeUndefined();
    for (const bad of ['ana', 'ana@', '@example.com', 'ana@example', 'a na@example.com', `${'a'.repeat(250)}@x.io`])
      expect(emailProblem(bad)).toBeDefined();
  });

  it('makes a valid tenant slug of any organization name', () => {
    expect(slugOfOrganization('Acme, Inc.')).toBe('acme-inc');
    expect(slugOfOrganization('Ünïcode Çafé')).toBe('unicode-cafe');
    expect(slugOfOrganization('!!!')).toBe('org');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (name) => {
        expect(slugOfOrganization(name)).toMatch(SLUG_PATTERN);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sessions', () => {
  it('makes unguessable ids of a fixed form, stored only as their sha256', () => {
    const a = newSessionId();
    const b = newSessionId();
    expect(a.id).not.toBe(b.id);
    expect(looksLikeSessionId(a.id)).toBe(true);
    expect(a.hash.equals(hashSessionId(a.id))).toBe(true);
    expect(a.hash.toString('base64url')).not.toBe(a.id);
    expect(looksLikeSessionId('short')).toBe(false);
  });

  it('ends a session at the idle limit from its last use and at the absolute limit from sign-in', () => {
    const limits = { idleMs: 1_000, absoluteMs: 10_000 };
    expect(sessionState({ createdAtMs: 0, lastSeenAtMs: 0 }, 999, limits)).toBe('live');
    expect(sessionState({ createdAtMs: 0, lastSeenAtMs: 0 }, 1_000, limits)).toBe('idle');
    expect(sessionState({ createdAtMs: 0, lastSeenAtMs: 9_500 }, 9_999, limits)).toBe('live');
    expect(sessionState({ createdAtMs: 0, lastSeenAtMs: 9_999 }, 10_000, limits)).toBe('expired');
  });

  it('sets the cookie HttpOnly, SameSite=Lax, Path=/, Secure only when asked', () => {
    expect(sessionCookie('abc', { secure: false, maxAgeMs: 3_600_000 })).toBe(
      'cs_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600',
    );
    expect(sessionCookie('abc', { secure: true, maxAgeMs: 1000 })).toContain('; Secure;');
    expect(clearedSessionCookie({ secure: false })).toBe('cs_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
  });

  it('reads the session id from the cookies, refusing two different ones', () => {
    expect(sessionIdOfCookies(['theme=dark', 'cs_session=abc'])).toBe('abc');
    expect(sessionIdOfCookies(['theme=dark; cs_session=abc; x=1'])).toBe('abc');
    expect(sessionIdOfCookies(['cs_session=abc', 'cs_session=abc'])).toBe('abc');
    expect(sessionIdOfCookies(['theme=dark', 'cs_session='])).toBeUndefined();
    expect(sessionIdOfCookies(['xcs_session=abc'])).toBeUndefined();
    expect(() => sessionIdOfCookies(['cs_session=abc', 'cs_session=def'])).toThrow(/2 different/);
  });

  it('compares CSRF tokens exactly', () => {
    expect(textsEqual('token-1', 'token-1')).toBe(true);
    expect(textsEqual('token-1', 'token-2')).toBe(false);
    expect(textsEqual('token-1', 'token-1 ')).toBe(false);
    expect(textsEqual('', 'x')).toBe(false);
  });
});

describe('throttle windows', () => {
  it('names the fixed window of a time and the time left in it', () => {
    expect(throttleWindow(0, 1000)).toEqual({ index: 0, remainingMs: 1000 });
    expect(throttleWindow(2_500, 1000)).toEqual({ index: 2, remainingMs: 500 });
    expect(throttleWindow(2_999, 1000)).toEqual({ index: 2, remainingMs: 1 });
  });
});

describe('emailVerificationRefusal', () => {
  it('refuses an unverified address the routes that hand out credentials or move people out, and nothing else', () => {
    for (const key of [
      'POST /v1/invites',
      'POST /v1/api-keys',
      'DELETE /v1/users/{id}',
      'GET /v1/users/{id}/export',
      'PUT /v1/tenant/sso',
      'DELETE /v1/sso/{id}',
    ])
      expect(emailVerificationRefusal(key, false)).toMatch(/verify-email\/resend/);
    for (const key of [
      'GET /v1/api-keys',
      'POST /v1/dashboards',
      'PUT /v1/catalog/{event_type}',
      'POST /v1/alert-rules',
      'GET /v1/tenant/sso',
      'DELETE /v1/invites/{id}',
      'PATCH /v1/members/{id}',
      'GET /v1/metrics',
    ])
      expect(emailVerificationRefusal(key, false)).toBeUndefined();
    expect(emailVerificationRefusal('POST /v1/invites', true)).toBeUndefined();
  });
});
