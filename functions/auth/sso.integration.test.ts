// Single sign-on end to end (docs/api.md#single-sign-on-sso) against a real OpenID Connect issuer (oidc-provider, in
// this process on 127.0.0.1, test/oidc-issuer.ts): the configuration routes, the browser's redirects followed by
// hand, and every way a sign-in must fail (state, replay, nonce, signature, audience, expiry, domain, verification,
// disabled, another tenant's code, open redirects), each ending at the sign-in page with its code and no session.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { call } from '../../test/builders';
import { PASSWORD, as, useAccountsWorld, type Session } from '../../test/accounts-world';
import { SSO_ERRORS } from '../../core/sso';
import { createOidcClient } from '../../adapters/oidc/client';
import { startTestIssuer, signInAtIssuer, type TestIssuer } from '../../test/oidc-issuer';

const APP_URL = 'https://app.example.test';
const REDIRECT_URI = `${APP_URL}/v1/auth/sso/callback`;
let issuer: TestIssuer;
let clockOffsetMs = 0;
const clock = () => Date.now() + clockOffsetMs;
beforeAll(async () => {
  issuer = await startTestIssuer(REDIRECT_URI, 2);
});
afterAll(async () => {
  await issuer?.stop();
});
const world = useAccountsWorld('sso', {
  tenants: 2,
  topics: false,
  overrides: {
    APP_URL: `${APP_URL}/`,
    SSO_SECRET_KEY: randomBytes(32).toString('base64'),
  },
  adapters: (env) => ({
    ...env.adapters,
    now: clock,
    oidc: createOidcClient({ policy: env.config.webhooks, now: clock }),
  }),
});
const { env, tenants, url, member } = world;
const [tenantA, tenantB] = [tenants[0], tenants[1]];

const configure = (s: Session, body: Record<string, unknown>) =>
  call(url(), '/v1/sso', { method: 'PUT', headers: as(s), json: body });
const configOf = (i: number, over: Record<string, unknown> = {}) => ({
  issuer: issuer.issuer,
  client_id: issuer.clients[i]!.client_id,
  client_secret: issuer.clients[i]!.client_secret,
  allowed_domains: ['corp.example'],
  default_role: 'editor',
  enabled: true,
  ...over,
});

/** A GET without following redirects; `cookie` sent as is. */
async function get(path: string, cookie?: string) {
  const res = await fetch(url() + path, { redirect: 'manual', headers: cookie ? { Cookie: cookie } : {} });
  return { status: res.status, location: res.headers.get('location') ?? '', cookies: res.headers.getSetCookie() };
}
const cookieValue = (cookies: string[], name: string) => cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];

interface Started {
  authorizationUrl: URL;
  ssoCookie: string;
}
async function start(org: string, returnTo?: string): Promise<Started> {
  const q = new URLSearchParams({ organization: org, ...(returnTo !== undefined && { return_to: returnTo }) });
  const res = await get(`/v1/auth/sso/start?${q}`);
  expect(res.status).toBe(302);
  const ssoCookie = cookieValue(res.cookies, 'cs_sso');
  if (!ssoCookie) throw new Error(`no cs_sso cookie; went to ${res.location}`);
  return { authorizationUrl: new URL(res.location), ssoCookie };
}
/** The issuer's redirect, sent to the app (the test's runtime stands in for APP_URL). */
const callback = (back: URL, cookie?: string) => get(`/v1/auth/sso/callback${back.search}`, cookie);

async function fullSignIn(org: string, login: string, returnTo?: string) {
  const s = await start(org, returnTo);
  const back = await signInAtIssuer(s.authorizationUrl.toString(), login);
  return { started: s, back, res: await callback(back, s.ssoCookie) };
}

const errorOf = (location: string) => /^https:\/\/app\.example\.test\/sign-in#sso_error=(\w+)$/.exec(location)?.[1];
const login = (local = randomBytes(4).toString('hex'), domain = 'corp.example') => `${local}@${domain}`;
const sessionsOf = async (email: string) =>
  Number(
    (
      await env.adapters.sql<{ n: string }[]>`
        select count(*) as n from sessions s join users u on u.id = s.user_id where u.email = ${email}`
    )[0]!.n,
  );

let ownerA: Session;
let adminA: Session;
beforeAll(async () => {
  ownerA = await member('owner', tenantA.id);
  adminA = await member('admin', tenantA.id);
  const owner = await member('owner', tenantB.id);
  // Tenant B: the other client, another domain.
  expect((await configure(owner, configOf(1, { allowed_domains: ['b.example'], default_role: 'viewer' }))).status).toBe(
    200,
  );
});
beforeEach(() => {
  clockOffsetMs = 0;
});

describe('SSO configuration', () => {
  it('is validated by discovery, shown without its secret, stored sealed, and removable', async () => {
    expect((await call(url(), '/v1/sso', { headers: as(adminA) })).body.error.code).toBe('sso_not_configured');
    const bad = await configure(adminA, configOf(0, { issuer: 'http://127.0.0.1:9/nothing' }));
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_issuer']);
    expect(bad.body.error.message).toContain('.well-known/openid-configuration');
    // An admin may not make admin the default role; an owner may.
    const adminDefault = await configure(adminA, configOf(0, { default_role: 'admin' }));
    expect(adminDefault.status).toBe(403);
    const made = await configure(adminA, configOf(0));
    expect(made.status).toBe(200);
    expect(made.body).toEqual({
      issuer: issuer.issuer,
      client_id: issuer.clients[0]!.client_id,
      allowed_domains: ['corp.example'],
      default_role: 'editor',
      enabled: true,
      redirect_uri: REDIRECT_URI,
    });
    expect((await call(url(), '/v1/sso', { headers: as(adminA) })).body).toEqual(made.body);
    const [row] = await env.adapters.sql`select * from sso_configs where tenant_id = ${tenantA.id}`;
    expect(JSON.stringify(row)).not.toContain(issuer.clients[0]!.client_secret);
    expect(Buffer.from(row!.client_secret_enc).toString('latin1')).not.toContain(issuer.clients[0]!.client_secret);
    // The secret may be left out to keep it, for the same issuer and client only.
    const { client_secret: _s, ...noSecret } = configOf(0);
    expect((await configure(adminA, noSecret)).status).toBe(200);
    expect((await configure(adminA, { ...noSecret, client_id: 'other' })).status).toBe(400);
    const invalid = await configure(adminA, configOf(0, { allowed_domains: ['*.corp.example'] }));
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'invalid_body']);
    // A viewer or editor may not see it.
    const editor = await member('editor', tenantA.id);
    expect((await call(url(), '/v1/sso', { headers: as(editor) })).status).toBe(403);
    expect((await call(url(), '/v1/sso', { method: 'DELETE', headers: as(adminA) })).body).toEqual({ deleted: true });
    expect((await call(url(), '/v1/sso', { method: 'DELETE', headers: as(adminA) })).status).toBe(404);
    expect((await configure(ownerA, configOf(0))).status).toBe(200);
    // Every change is in the audit log, newest first, and no entry holds the secret.
    const log = await call(url(), '/v1/audit-log?action=sso.', { headers: as(adminA) });
    expect(log.status).toBe(200);
    expect(JSON.stringify(log.body)).not.toContain(issuer.clients[0]!.client_secret);
    const entries = log.body.entries as { action: string; before: unknown; after: Record<string, unknown> | null }[];
    expect(entries.map((e) => [e.action, e.before === null, e.after?.client_secret_changed])).toEqual([
      ['sso.configure', true, true],
      ['sso.delete', false, undefined],
      ['sso.configure', false, false],
      ['sso.configure', true, true],
    ]);
  });
});

it('answers any PUT /v1/sso body with a clear 4xx, never a 5xx (fuzzed)', async () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ maxLength: 300 }));
  const body = fc.oneof(
    fc.anything(),
    fc.record(
      {
        issuer: fc.oneof(
          text,
          fc.constantFrom('https://', 'http://10.0.0.1', 'ftp://x.example', 'https://a@b.example'),
        ),
        client_id: text,
        client_secret: text,
        allowed_domains: fc.array(text, { maxLength: 3 }),
        default_role: fc.oneof(text, fc.constantFrom('viewer', 'owner')),
        enabled: fc.anything(),
      },
      { requiredKeys: [] },
    ),
  );
  await fc.assert(
    fc.asyncProperty(body, async (b) => {
      const res = await call(url(), '/v1/sso', {
        method: 'PUT',
        headers: { ...as(adminA), 'Content-Type': 'application/json' },
        body: JSON.stringify(b) ?? 'null',
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.error.message.length).toBeGreaterThan(10);
    }),
    { numRuns: 150 },
  );
});

describe('SSO sign-in', () => {
  beforeAll(async () => {
    expect((await configure(ownerA, configOf(0))).status).toBe(200);
  });

  it('provisions the person with the default role, starts a session like login, and returns to return_to', async () => {
    const email = login();
    const { started, res } = await fullSignIn(tenantA.slug, email, '/dashboards?x=1');
    // The authorization request: code flow, PKCE S256, state and nonce, this tenant's client.
    const q = started.authorizationUrl.searchParams;
    expect(started.authorizationUrl.origin).toBe(issuer.issuer);
    expect(q.get('client_id')).toBe(issuer.clients[0]!.client_id);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(q.get('state')).toMatch(/^[\w-]{43}$/);
    expect(q.get('nonce')).toMatch(/^[\w-]{43}$/);
    expect(started.ssoCookie).toMatch(/^cs_sso=[\w-]{43}$/);

    expect(res.status).toBe(302);
    expect(res.location).toBe(`${APP_URL}/dashboards?x=1`);
    const session = cookieValue(res.cookies, 'cs_session')!;
    expect(session).toMatch(/^cs_session=[\w-]{43}$/);
    expect(res.cookies.find((c) => c.startsWith('cs_sso='))).toMatch(/Max-Age=0/);
    const me = await call(url(), '/v1/me', { headers: { Cookie: session } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email }, role: 'editor', tenant: { id: tenantA.id } });
    const [audit] = await env.adapters.sql<{ action: string; after: Record<string, unknown> }[]>`
      select action, after from audit_log where tenant_id = ${tenantA.id} and target = ${me.body.user.id}`;
    expect(audit).toMatchObject({ action: 'user.login', after: { method: 'sso', provisioned: true } });
    // No password works until one is set by reset.
    const pw = await call(url(), '/v1/auth/login', { json: { email, password: PASSWORD } });
    expect(pw.status).toBe(401);

    // A second sign-in finds the same account (and keeps its role), with a new session id.
    const again = await fullSignIn(tenantA.slug, email.toUpperCase().replace('@CORP.EXAMPLE', '@corp.example'));
    expect(again.res.location).toBe(`${APP_URL}/`);
    const second = cookieValue(again.res.cookies, 'cs_session')!;
    expect(second).not.toBe(session);
    expect((await call(url(), '/v1/me', { headers: { Cookie: second } })).body.user.id).toBe(me.body.user.id);
  });

  it('signs an existing member in with their own role', async () => {
    const m = await member('admin', tenantA.id);
    await env.adapters.sql`update users set email = ${login('existing')} where email = ${m.email}`;
    const { res } = await fullSignIn(tenantA.slug, login('existing'));
    const me = await call(url(), '/v1/me', { headers: { Cookie: cookieValue(res.cookies, 'cs_session')! } });
    expect(me.body.role).toBe('admin');
  });

  async function expectFailure(res: { status: number; location: string; cookies: string[] }, code: string) {
    expect(res.status).toBe(302);
    expect(errorOf(res.location)).toBe(code);
    expect(cookieValue(res.cookies, 'cs_session')).toBeUndefined();
  }

  it('refuses a wrong state, a state without its browser cookie, and a replayed state', async () => {
    const s = await start(tenantA.slug);
    const back = await signInAtIssuer(s.authorizationUrl.toString(), login());
    const wrong = new URL(back);
    wrong.searchParams.set('state', randomBytes(32).toString('base64url'));
    await expectFailure(await callback(wrong, s.ssoCookie), 'invalid_state');
    // The right state in another browser (no cookie, or another transaction's cookie): refused, and spent.
    const other = await start(tenantA.slug);
    await expectFailure(await callback(back, other.ssoCookie), 'invalid_state');
    await expectFailure(await callback(back, s.ssoCookie), 'invalid_state');

    const fresh = await fullSignIn(tenantA.slug, login());
    expect(errorOf(fresh.res.location)).toBeUndefined();
    await expectFailure(await callback(fresh.back, fresh.started.ssoCookie), 'invalid_state');
  });

  it.each([
    ['a tampered signature', { kind: 'signature' } as const],
    ['another audience', { kind: 'claims', change: (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }) }],
    ['another nonce', { kind: 'claims', change: (c: Record<string, unknown>) => ({ ...c, nonce: 'not-yours' }) }],
    [
      'another issuer',
      { kind: 'claims', change: (c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.test' }) },
    ],
    [
      'an expired token',
      {
        kind: 'claims',
        change: (c: Record<string, unknown>) => ({ ...c, iat: Number(c.iat) - 7200, exp: Number(c.iat) - 3600 }),
      },
    ],
  ] as const)('refuses an ID token with %s (invalid_token)', async (_, tamper) => {
    const email = login();
    const s = await start(tenantA.slug);
    const back = await signInAtIssuer(s.authorizationUrl.toString(), email);
    issuer.tamperNext(tamper);
    await expectFailure(await callback(back, s.ssoCookie), 'invalid_token');
    expect(await sessionsOf(email)).toBe(0);
  });

  it('judges expiry by the app clock', async () => {
    const email = login();
    const s = await start(tenantA.slug);
    const back = await signInAtIssuer(s.authorizationUrl.toString(), email);
    clockOffsetMs = 2 * 3_600_000; // the provider's ID tokens live 1 h
    await expectFailure(await callback(back, s.ssoCookie), 'invalid_token');
    expect(await sessionsOf(email)).toBe(0);
  });

  it('refuses a nonce the transaction did not send (issuer-side)', async () => {
    const s = await start(tenantA.slug);
    const changed = new URL(s.authorizationUrl);
    changed.searchParams.set('nonce', randomBytes(32).toString('base64url'));
    const back = await signInAtIssuer(changed.toString(), login());
    await expectFailure(await callback(back, s.ssoCookie), 'invalid_token');
  });

  it('refuses a domain not allowed, an unverified address, and a disabled configuration', async () => {
    const outside = login(undefined, 'elsewhere.example');
    await expectFailure((await fullSignIn(tenantA.slug, outside)).res, 'domain_not_allowed');
    // The subdomain is another domain.
    await expectFailure((await fullSignIn(tenantA.slug, login(undefined, 'x.corp.example'))).res, 'domain_not_allowed');
    const unverified = login(`unverified.${randomBytes(3).toString('hex')}`);
    await expectFailure((await fullSignIn(tenantA.slug, unverified)).res, 'email_not_verified');
    for (const e of [outside, unverified]) {
      expect(await sessionsOf(e)).toBe(0);
      expect((await env.adapters.accounts.findUserByEmail(e)) === undefined).toBe(true);
    }

    // Disabled between start and callback, then at start.
    const s = await start(tenantA.slug);
    const back = await signInAtIssuer(s.authorizationUrl.toString(), login());
    expect((await configure(ownerA, configOf(0, { enabled: false }))).status).toBe(200);
    await expectFailure(await callback(back, s.ssoCookie), 'sso_not_configured');
    await expectFailure(await get(`/v1/auth/sso/start?organization=${tenantA.slug}`), 'sso_not_configured');
    expect((await configure(ownerA, configOf(0))).status).toBe(200);
  });

  it("never uses another tenant's configuration", async () => {
    // Tenant B's start names B's client; its code does not redeem with A's transaction.
    const b = await start(tenantB.slug);
    expect(b.authorizationUrl.searchParams.get('client_id')).toBe(issuer.clients[1]!.client_id);
    const a = await start(tenantA.slug);
    const backB = await signInAtIssuer(b.authorizationUrl.toString(), login(undefined, 'b.example'));
    const mixed = new URL(backB);
    mixed.searchParams.set('state', a.authorizationUrl.searchParams.get('state')!);
    await expectFailure(await callback(mixed, a.ssoCookie), 'invalid_token');
    // A corp.example person going through B is refused by B's domains, not let in by A's.
    await expectFailure((await fullSignIn(tenantB.slug, login())).res, 'domain_not_allowed');
    // And B's own person lands in B with B's default role.
    const ok = await fullSignIn(tenantB.slug, login(undefined, 'b.example'));
    const me = await call(url(), '/v1/me', { headers: { Cookie: cookieValue(ok.res.cookies, 'cs_session')! } });
    expect(me.body).toMatchObject({ role: 'viewer', tenant: { id: tenantB.id } });
    // Unknown organizations look like unconfigured ones.
    await expectFailure(await get('/v1/auth/sso/start?organization=no-such-org'), 'sso_not_configured');
  });

  it.each([
    '//evil.example/x',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    '/%0d%0aSet-Cookie:x=1'.replace('%0d%0a', '\r\n'),
    'evil.example',
    '/\tevil',
  ])('refuses return_to %j (invalid_return_to)', async (returnTo) => {
    const res = await get(
      `/v1/auth/sso/start?${new URLSearchParams({ organization: tenantA.slug, return_to: returnTo })}`,
    );
    await expectFailure(res, 'invalid_return_to');
  });

  it('never answers a 5xx, whatever the query (fuzzed), and every failure lands on the sign-in page', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ maxLength: 600 }),
      fc.constantFrom('', '%', '%zz', '%ED%A0%80', '%00', tenantA.slug, '/ok', '//x'),
    );
    const raw = (v: string) => {
      if (v.startsWith('%')) return v; // deliberately malformed percent-encoding
      try {
        return encodeURIComponent(v);
      } catch {
        return '%ED%A0%80'; // a lone surrogate, as UTF-8 bytes
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('start', 'callback'),
        fc.array(fc.tuple(fc.constantFrom('organization', 'return_to', 'state', 'code', 'error', 'x'), value), {
          maxLength: 4,
        }),
        fc.option(fc.string({ maxLength: 60 })),
        async (route, params, cookie) => {
          const qs = params.map(([k, v]) => `${k}=${raw(v)}`).join('&');
          const res = await fetch(`${url()}/v1/auth/sso/${route}?${qs}`, {
            redirect: 'manual',
            headers: cookie === null ? {} : { Cookie: `cs_sso=${encodeURIComponent(cookie)}` },
          });
          await res.arrayBuffer();
          expect(res.status).toBe(302);
          const location = res.headers.get('location')!;
          const code = errorOf(location);
          if (code === undefined) expect(location.startsWith(issuer.issuer)).toBe(true);
          else expect(SSO_ERRORS).toContain(code);
        },
      ),
      { numRuns: 150 },
    );
  });
});
