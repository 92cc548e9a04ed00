import fc from 'fast-check';
import { ApiError } from '../api/client';
import { accountErrorMessage } from './messages';
import { linkTokenOf, publicScreenOf, ssoErrorMessage, ssoStartPath } from './publicRoute';

const apiError = (status: number, code: string, message = 'x') => new ApiError({ status, code, message });

describe('publicScreenOf', () => {
  it.each([
    ['/accept-invite', '#token=abc', 'accept'],
    ['/reset-password/', '#token=abc', 'reset'],
    ['/verify-email', '#token=abc', 'verify'],
    ['/', '#/signup', 'signup'],
    ['/', '#/forgot', 'forgot'],
    ['/', '#sso_error=access_denied', 'signin'],
    ['/', '', 'signin'],
    ['/elsewhere', '#/dashboards', 'signin'],
  ])('%s%s is %s', (path, hash, screen) => {
    expect(publicScreenOf(path, hash)).toBe(screen);
  });
});

describe('linkTokenOf', () => {
  it('reads the token of the fragment, and nothing from a fragment without one', () => {
    expect(linkTokenOf('#token=AbC-d_9')).toBe('AbC-d_9');
    expect(linkTokenOf('#token=')).toBeNull();
    expect(linkTokenOf('')).toBeNull();
    expect(linkTokenOf(`#token=${'a'.repeat(201)}`)).toBeNull();
  });
});

describe('ssoErrorMessage', () => {
  it('explains known codes, names unknown plain ones and never echoes markup', () => {
    expect(ssoErrorMessage('#sso_error=access_denied')).toMatch(/identity provider did not let you in/);
    expect(ssoErrorMessage('#sso_error=weird_code')).toMatch(/\(weird_code\)/);
    expect(ssoErrorMessage('#sso_error=%3Cscript%3E')).not.toMatch(/script/);
    expect(ssoErrorMessage('#sso_error=toString')).not.toMatch(/function/);
    expect(ssoErrorMessage('#/signup')).toBeNull();
  });

  it('starts SSO at the organization slug, encoded', () => {
    expect(ssoStartPath(' Acme-Inc ')).toBe('/v1/auth/sso/start?organization=acme-inc');
    expect(ssoStartPath('a&b')).toBe('/v1/auth/sso/start?organization=a%26b');
  });
});

describe('accountErrorMessage', () => {
  it('says what to do for each refusal of the accounts routes', () => {
    expect(accountErrorMessage(apiError(400, 'weak_password', 'password is one of the most common.'), 'signup')).toBe(
      'This password is too weak: is one of the most common.',
    );
    expect(accountErrorMessage(apiError(409, 'email_taken'), 'signup')).toMatch(/exists already/);
    expect(accountErrorMessage(apiError(403, 'signup_closed'), 'signup')).toMatch(/ask an admin .* for an invite/);
    expect(accountErrorMessage(apiError(401, 'unauthorized'), 'signin')).toBe(
      'The e-mail address or the password is wrong.',
    );
    expect(accountErrorMessage(apiError(401, 'unauthorized'), 'accept')).toMatch(/current password/);
    expect(accountErrorMessage(apiError(400, 'invalid_reset'), 'reset')).toMatch(/Ask for a new one/);
    expect(accountErrorMessage(apiError(400, 'invalid_verification'), 'verify')).toMatch(/send a new one/);
    expect(accountErrorMessage(apiError(403, 'email_unverified'), 'members')).toMatch(/Confirm your e-mail address/);
    expect(accountErrorMessage(new Error('boom'), 'forgot')).toBe('Something went wrong. Try again.');
  });
});

describe('the public pages read any address without failing', () => {
  // Any text in the path and fragment (lone surrogates, %-escapes, separators): a screen, a token of bounded length
  // or none, an SSO message without markup, and never a throw.
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ maxLength: 300 }).map((s) => `#token=${s}`),
    fc.string({ maxLength: 80 }).map((s) => `#sso_error=${s}`),
    fc.constantFrom('#token=%E0%A4%A', '#sso_error=%', '#token=\uD800', '#/signup?x=%ZZ'),
  );
  it('maps every path and fragment onto a screen, a token or none, and a plain SSO message or none', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), text, (path, hash) => {
        expect(['signin', 'signup', 'forgot', 'reset', 'accept', 'verify']).toContain(publicScreenOf(path, hash));
        const token = linkTokenOf(hash);
        expect(token === null || (token.length > 0 && token.length <= 200)).toBe(true);
        const message = ssoErrorMessage(hash);
        expect(message === null || !/[<>]/.test(message)).toBe(true);
      }),
    );
  });
});
