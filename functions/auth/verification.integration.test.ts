// E-mail verification end to end over HTTP (docs/api.md#e-mail-verification), and the constant work of
// POST /v1/auth/forgot (docs/security.md#invite-reset-and-verification-links), on an injected clock: sign-up e-mails
// a single-use link to the SMTP sink; until it is opened a session may not make keys or invites; invites and resets
// prove the address too; any token body gets a clear 4xx.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { call } from '../../test/builders';
import { PASSWORD, as, debugLogsDuring, useAccountsWorld, type Session } from '../../test/accounts-world';
import { createLoginThrottle } from '../../adapters/login-throttle';
import type { Adapters } from '../../adapters';
import type { Mail } from '../../adapters/mail-sender';
import { sendRequestedResets } from './recovery';

let clock = Date.parse('2026-06-01T12:00:00Z');

/** Every call the handlers make through the accounts store and the mailer, in order (the forgot test reads it). */
const calls: string[] = [];
function recorded<T extends object>(name: string, target: T): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v = Reflect.get(t, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(`${name}.${String(prop)}`);
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

let deps: Adapters;
const world = useAccountsWorld('verification', {
  tenants: 1,
  mail: true,
  now: () => clock,
  overrides: {
    APP_URL: 'https://app.example.test',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
  },
  adapters: (env) => {
    const t = env.config.accounts.throttle;
    const mail = env.adapters.accountMail;
    deps = {
      ...env.adapters,
      now: () => clock,
      accounts: recorded('accounts', env.adapters.accounts),
      accountMail: (m: Mail) => {
        calls.push('mail.send');
        return mail(m);
      },
      loginThrottle: createLoginThrottle(env.adapters.redis, t, () => clock),
      forgotThrottle: createLoginThrottle(
        env.adapters.redis,
        { ...t, keyPrefix: `${t.keyPrefix}:forgot` },
        () => clock,
      ),
      verifyThrottle: createLoginThrottle(
        env.adapters.redis,
        { ...t, keyPrefix: `${t.keyPrefix}:verify` },
        () => clock,
      ),
    };
    return deps;
  },
});
const { env, tenant, url, email } = world;
const mailsTo = world.mail.to;
/** The token of the newest link of this kind mailed to the address. */
const linkToken = (address: string, page: 'verify-email' | 'reset-password') =>
  world.mail.token(address, `https://app.example.test/${page}`);

async function signUp(address = email()) {
  const { res, session } = await world.signUp(address, 'Verify Co');
  return { ...session, email: address, body: res.body };
}
const verify = (token: unknown) => call(url(), '/v1/auth/verify-email', { json: { token } });
const resend = (s: Session) => call(url(), '/v1/auth/verify-email/resend', { method: 'POST', headers: as(s) });
const me = async (s: Session) => (await call(url(), '/v1/me', { headers: as(s) })).body;
const newKey = (s: Session) => call(url(), '/v1/api-keys', { headers: as(s), json: { name: 'k', scopes: ['read'] } });
const invite = (s: Session, address = email()) =>
  call(url(), '/v1/invites', { headers: as(s), json: { email: address, role: 'viewer' } });

describe('e-mail verification', () => {
  it('sign-up e-mails a link that verifies the address once, and the audit log records it', async () => {
    const s = await signUp();
    expect(s.body.user.email_verified).toBe(false);
    expect(s.body.verification_emailed).toBe(true);
    expect((await me(s)).user.email_verified).toBe(false);
    const token = linkToken(s.email, 'verify-email');
    // Only the token's hash is stored.
    const stored = await env.adapters.sql`select * from email_verifications`;
    expect(JSON.stringify(stored)).not.toContain(token);

    const ok = await verify(token);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ email_verified: true });
    expect((await me(s)).user.email_verified).toBe(true);
    const again = await verify(token);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_verification');
    expect(again.body.error.message).toMatch(/POST \/v1\/auth\/verify-email\/resend/);
    const [row] = await env.adapters.sql<{ n: number }[]>`
      select count(*)::int as n from audit_log where target = ${s.body.user.id} and action = 'user.email_verify'`;
    expect(row!.n).toBe(1);
  });

  it('an expired link is refused like an unknown one (EMAIL_VERIFY_TTL, 48 h, on the injected clock)', async () => {
    const s = await signUp();
    const token = linkToken(s.email, 'verify-email');
    const start = clock;
    try {
      clock += 48 * 3_600_000;
      const expired = await verify(token);
      expect(expired.status).toBe(400);
      expect(expired.body.error.code).toBe('invalid_verification');
      expect((await verify(randomBytes(32).toString('base64url'))).body.error).toEqual(expired.body.error);
    } finally {
      clock = start;
    }
    // Back before the expiry the same link works: only the clock refused it.
    expect((await verify(token)).status).toBe(200);
  });

  it('resend replaces the earlier link, sends nothing once verified, and is throttled with Retry-After', async () => {
    const s = await signUp();
    const first = linkToken(s.email, 'verify-email');
    const r = await resend(s);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ email_verified: false, emailed: true });
    const second = linkToken(s.email, 'verify-email');
    expect(second).not.toBe(first);
    expect((await verify(first)).status).toBe(400);
    expect((await verify(second)).status).toBe(200);
    const mails = mailsTo(s.email).length;
    const done = await resend(s);
    expect(done.body).toEqual({ email_verified: true, emailed: false });
    expect(mailsTo(s.email)).toHaveLength(mails);
    // LOGIN_MAX_FAILURES_PER_ACCOUNT is 3 here: the 4th request of the window is refused.
    expect((await resend(s)).status).toBe(200);
    const limited = await resend(s);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Without the CSRF token, or without a session: refused before anything is sent.
    expect(
      (await call(url(), '/v1/auth/verify-email/resend', { method: 'POST', headers: { Cookie: s.cookie } })).status,
    ).toBe(403);
    expect((await call(url(), '/v1/auth/verify-email/resend', { method: 'POST' })).status).toBe(401);
  });

  it('an unverified session reads and builds, but gets 403 email_unverified on keys, invites and erasure', async () => {
    const s = await signUp();
    for (const res of [await newKey(s), await invite(s)]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('email_unverified');
      expect(res.body.error.message).toMatch(/verify-email\/resend/);
    }
    const erase = await call(url(), '/v1/users/someone', { method: 'DELETE', headers: as(s) });
    expect(erase.body.error.code).toBe('email_unverified');
    const exported = await call(url(), '/v1/users/someone/export', { headers: as(s) });
    expect(exported.body.error.code).toBe('email_unverified');
    // Reading and building in its own tenant is allowed.
    expect((await call(url(), '/v1/dashboards', { headers: as(s) })).status).toBe(200);
    const dash = await call(url(), '/v1/dashboards', {
      headers: as(s),
      json: { name: 'mine', widgets: [{ type: 'number', title: 'x', query: { event_type: 'signup' } }] },
    });
    expect(dash.status).toBe(201);
    expect((await call(url(), '/v1/api-keys', { headers: as(s) })).status).toBe(200);

    expect((await verify(linkToken(s.email, 'verify-email'))).status).toBe(200);
    // The same live session, on its next request.
    expect((await newKey(s)).status).toBe(201);
    expect((await invite(s)).status).toBe(201);
  });

  it('API keys are unaffected: the rule is for cookie sessions', async () => {
    const res = await call(url(), '/v1/api-keys', { key: tenant.keys.admin, json: { name: 'k2', scopes: ['read'] } });
    expect(res.status).toBe(201);
  });

  it('accepting an invite proves the address: a new account, and an unverified existing one', async () => {
    const admin = await signUp();
    await verify(linkToken(admin.email, 'verify-email'));
    // A new account made by the invite.
    const address = email();
    expect((await invite(admin, address)).status).toBe(201);
    const token = world.mail.token(address);
    const accepted = await call(url(), '/v1/auth/accept-invite', { json: { token, password: PASSWORD } });
    expect(accepted.status).toBe(201);
    expect(accepted.body.user.email_verified).toBe(true);
    // An account that signed up elsewhere and never verified joins by the invite: verified now.
    const other = await signUp();
    expect((await invite(admin, other.email)).status).toBe(201);
    const token2 = world.mail.token(other.email, 'accept-invite');
    const joined = await call(url(), '/v1/auth/accept-invite', { json: { token: token2, password: PASSWORD } });
    expect(joined.status).toBe(201);
    expect(joined.body.user.email_verified).toBe(true);
    expect((await me(other)).user.email_verified).toBe(true);
  });

  it('a password reset by the e-mailed link proves the address', async () => {
    const s = await signUp();
    expect((await call(url(), '/v1/auth/forgot', { json: { email: s.email } })).status).toBe(202);
    await sendRequestedResets(deps);
    const token = linkToken(s.email, 'reset-password');
    const reset = await call(url(), '/v1/auth/reset', { json: { token, password: 'amber kettle hums' } });
    expect(reset.status).toBe(200);
    const login = await call(url(), '/v1/auth/login', { json: { email: s.email, password: 'amber kettle hums' } });
    expect(login.status).toBe(200);
    expect(login.body.user.email_verified).toBe(true);
  });

  it('operator-made members count as verified unless told otherwise', async () => {
    const { login } = await world.member('admin');
    expect(login.body.user.email_verified).toBe(true);
  });

  it('any token body gets a clear 4xx, never a 5xx (Unicode with lone surrogates, sizes, wrong types)', async () => {
    const token = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.string({ unit: 'binary', minLength: 43, maxLength: 43 }),
      fc.stringMatching(/^[\w-]{43}$/),
      fc.constantFrom('', '\u0000', '\ud800', '\udfff', 'a\ud800b'.repeat(20), '\u{1f600}'.repeat(100)),
      fc
        .tuple(fc.constantFrom(199, 200, 201, 16_000), fc.constantFrom('a', 'é', '\ud800', '\u{1f600}'))
        .map(([n, c]) => c.repeat(n)),
      fc.constantFrom(null, 0, true, [], {}, ['x'], 1e308),
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: token.map((t) => ({ token: t })) },
      token.map((t) => ({ token: t, extra: 1 })),
      fc.constantFrom({}, [], null, 'token'),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await call(url(), '/v1/auth/verify-email', { json: b });
        expect([400, 413]).toContain(res.status);
        expect(['invalid_verification', 'invalid_body', 'payload_too_large']).toContain(res.body.error.code);
        expect(res.body.error.message.length).toBeGreaterThan(20);
      }),
      { numRuns: 150 },
    );
    // Raw bodies: not JSON, escaped lone surrogates, NUL.
    for (const raw of ['{', '{"token":"\\ud800"}', '{"token":"\\u0000"}', '"x"', '']) {
      const res = await call(url(), '/v1/auth/verify-email', {
        method: 'POST',
        body: raw,
        headers: { 'Content-Type': 'application/json' },
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });
});

it('never writes a verification or reset token, or a link, to the logs at DEBUG', async () => {
  const secrets: string[] = [];
  const logs = await debugLogsDuring(async () => {
    const s = await signUp();
    secrets.push(linkToken(s.email, 'verify-email'));
    await resend(s);
    secrets.push(linkToken(s.email, 'verify-email'));
    await verify(secrets[1]);
    await call(url(), '/v1/auth/forgot', { json: { email: s.email } });
    await sendRequestedResets(deps);
    secrets.push(linkToken(s.email, 'reset-password'));
  });
  expect(new Set(secrets).size).toBe(3);
  for (const secret of [...secrets, PASSWORD]) expect(logs).not.toContain(secret);
});

describe('POST /v1/auth/forgot does the same work whether the address has an account', () => {
  it('the same store calls and no mail before the answer, for a known and an unknown address', async () => {
    const known = await signUp();
    const unknown = email();
    const during = async (address: string) => {
      calls.length = 0;
      const res = await call(url(), '/v1/auth/forgot', { json: { email: address } });
      expect(res.status).toBe(202);
      return { body: res.body, calls: [...calls] };
    };
    const mailsBefore = mailsTo(known.email).length;
    const a = await during(known.email);
    const b = await during(unknown);
    expect(a.calls).toEqual(['accounts.requestPasswordReset']);
    expect(b.calls).toEqual(a.calls);
    expect(b.body).toEqual(a.body);
    // Nothing was mailed by the request itself: the dispatcher sends it afterwards, to the account only.
    expect(mailsTo(known.email)).toHaveLength(mailsBefore);
    calls.length = 0;
    expect(await sendRequestedResets(deps)).toBe(1);
    expect(calls.filter((c) => c === 'mail.send')).toHaveLength(1);
    expect(mailsTo(known.email)).toHaveLength(mailsBefore + 1);
    expect(mailsTo(unknown)).toHaveLength(0);
    // Sent once: a second run finds nothing.
    expect(await sendRequestedResets(deps)).toBe(0);
  });

  it('several requests before the dispatcher runs make one mail, whose link works', async () => {
    const s = await signUp();
    for (let i = 0; i < 2; i++)
      expect((await call(url(), '/v1/auth/forgot', { json: { email: s.email } })).status).toBe(202);
    expect(await sendRequestedResets(deps)).toBe(1);
    const token = linkToken(s.email, 'reset-password');
    const res = await call(url(), '/v1/auth/reset', { json: { token, password: 'amber kettle hums' } });
    expect(res.status).toBe(200);
  });
});
