// The pure parts of single sign-on: return_to (open-redirect safety, fuzzed), domains, the browser binding.
import fc from 'fast-check';
import {
  admissibleEmail,
  bindingMatches,
  digest,
  domainProblem,
  newBinding,
  safeReturnTo,
  ssoCookieValues,
  SsoFailure,
} from './sso';

const APP = 'https://app.example.com';

describe('safeReturnTo', () => {
  it('keeps same-origin paths and defaults to /', () => {
    expect(safeReturnTo(null, APP)).toBe('/');
    expect(safeReturnTo('', APP)).toBe('/');
    expect(safeReturnTo('/dashboards/1?range=1h#x', APP)).toBe('/dashboards/1?range=1h#x');
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example', 'evil', '/a\nb', '/\u0000', '/\ud800', ' /x'])(
    'refuses %j',
    (raw) => expect(safeReturnTo(raw, APP)).toBeUndefined(),
  );

  it('never yields a path that leaves the origin (fuzzed, whole Unicode incl. lone surrogates)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 40 }),
          fc.string({ maxLength: 600 }).map((s) => `/${s}`),
          fc.constantFrom('/', '//', '/\\', '/%2f%2fevil', '/.//evil', '/..//evil', '/\t/evil'),
        ),
        (raw) => {
          const safe = safeReturnTo(raw, APP);
          if (safe === undefined) return;
          expect(new URL(`${APP}${safe}`).origin).toBe(APP);
          expect(new URL(safe, APP).origin).toBe(APP);
          expect(safe.startsWith('/') && !safe.startsWith('//')).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

it('accepts domain names only', () => {
  expect(domainProblem('example.com')).toBeUndefined();
  expect(domainProblem('a-b.co.uk')).toBeUndefined();
  for (const bad of ['*.example.com', '@example.com', 'example', 'Example.com', 'exa mple.com', '', '.com', 'x..com'])
    expect(domainProblem(bad)).toBeDefined();
});

it('binds a transaction to the cookie that started it', () => {
  const b = newBinding();
  expect(bindingMatches([b], digest(b))).toBe(true);
  expect(bindingMatches([newBinding(), b], digest(b))).toBe(true);
  expect(bindingMatches([], digest(b))).toBe(false);
  expect(bindingMatches([newBinding()], digest(b))).toBe(false);
  expect(ssoCookieValues(['cs_session=a; cs_sso=x', ' cs_sso =y'])).toEqual(['x', 'y']);
});

it('admits only a verified address in an allowed domain, exactly', () => {
  const id = (email: string | undefined, emailVerified = true) => ({ subject: 's', email, emailVerified, name: 'n' });
  const n = (e: string) => e.trim().toLowerCase();
  expect(admissibleEmail(id(' Ana@Corp.Example '), ['corp.example'], n)).toBe('ana@corp.example');
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as SsoFailure).code;
    }
    return 'ok';
  };
  expect(code(() => admissibleEmail(id(undefined), ['corp.example'], n))).toBe('email_missing');
  expect(code(() => admissibleEmail(id('a@corp.example', false), ['corp.example'], n))).toBe('email_not_verified');
  expect(code(() => admissibleEmail(id('a@x.corp.example'), ['corp.example'], n))).toBe('domain_not_allowed');
  expect(code(() => admissibleEmail(id('a@corp.example.evil'), ['corp.example'], n))).toBe('domain_not_allowed');
});
