// Accounts end to end over HTTP (docs/api.md#accounts): sign-up, sign-in, session fixation, CSRF, sign-out and
// password change ending stolen cookies, idle and absolute expiry on an injected clock, the role matrix of cookie
// sessions, throttled sign-ins, and no password or session id in the logs.
import { randomBytes } from 'node:crypto';
import { call, type CallResult } from '../../test/builders';
import { PASSWORD, as, debugLogsDuring, sessionOf, useAccountsWorld, type Session } from '../../test/accounts-world';
import { createLoginThrottle } from '../../adapters/login-throttle';
import type { Role } from '../../core/accounts';
import type { Adapters } from '../../adapters';
import { signup } from './accounts';
import { HttpRequest } from '../http/request';
import type { HttpEvent } from '../http/middleware';

let clock = Date.parse('2026-06-01T12:00:00Z');
let deps: Adapters;
const world = useAccountsWorld('accounts', {
  tenants: 1,
  now: () => clock,
  overrides: {
    SESSION_IDLE_TIMEOUT: '30m',
    SESSION_ABSOLUTE_TIMEOUT: '2h',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
    LOGIN_FAILURE_WINDOW: '15m',
  },
  adapters: (env) => {
    const throttle = createLoginThrottle(env.adapters.redis, env.config.accounts.throttle, () => clock);
    return (deps = {
      ...env.adapters,
      now: () => clock,
      loginThrottle: {
        ...throttle,
        attempt: (e, a) => {
          if (!failThrottleOnce) return throttle.attempt(e, a);
          failThrottleOnce = false;
          throw new Error('throttle failed (test)');
        },
      },
    });
  },
});
/** The next sign-in fails inside (a 500, logged with the request's context). */
let failThrottleOnce = false;
const { env, tenant, url, email, signUp, logIn } = world;

const me = (s: Session) => call(url(), '/v1/me', { headers: as(s, false) });

describe('sign-up', () => {
  it('creates a tenant with its first project and an owner, and starts a session', async () => {
    const { res, session, email: address } = await signUp(undefined, 'Acme, Inc.');
    expect(res.body).toMatchObject({
      user: { email: address },
      role: 'owner',
      tenant: { name: 'Acme, Inc.' },
      project: { slug: 'default' },
    });
    expect(res.body.tenant.slug).toMatch(/^acme-inc/);
    expect(session.setCookie).toMatch(/^cs_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=7200$/);
    const who = await me(session);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ user: { email: address }, role: 'owner', tenant: res.body.tenant });
    expect(who.body.csrf_token).toBe(session.csrf);
    // The session reads the new tenant's data like a key would.
    const projects = await call(url(), '/v1/projects', { headers: as(session, false) });
    expect(projects.body.projects.map((p: { slug: string }) => p.slug)).toEqual(['default']);
  });

  it('marks the cookie Secure when the request came over HTTPS', async () => {
    const res = await call(url(), '/v1/auth/signup', {
      json: { email: email(), password: PASSWORD, organization: 'Secure Org' },
      headers: { 'X-Forwarded-Proto': 'https' },
    });
    expect(sessionOf(res).setCookie).toContain('; Secure;');
  });

  it('refuses weak passwords, bad addresses and a taken address (any case), with what to fix', async () => {
    const weak = await call(url(), '/v1/auth/signup', {
      json: { email: email(), password: 'Password123', organization: 'x' },
    });
    expect([weak.status, weak.body.error.code]).toEqual([400, 'weak_password']);
    const short = await call(url(), '/v1/auth/signup', {
      json: { email: email(), password: 'short', organization: 'x' },
    });
    expect([short.status, short.body.error.code]).toEqual([400, 'weak_password']);
    const bad = await call(url(), '/v1/auth/signup', {
      json: { email: 'nope', password: PASSWORD, organization: 'x' },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_body']);
    const { email: taken } = await signUp();
    const again = await call(url(), '/v1/auth/signup', {
      json: { email: taken.toUpperCase(), password: PASSWORD, organization: 'x' },
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'email_taken']);
  });

  it('is refused with 403 when the deployment is invite-only', async () => {
    const closed = {
      ...deps,
      config: { ...deps.config, accounts: { ...deps.config.accounts, signup: 'invite-only' } },
    };
    const event = {
      body: JSON.stringify({ email: email(), password: PASSWORD, organization: 'x' }),
      headers: { 'content-type': 'application/json' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1' } },
    } as unknown as HttpEvent;
    await expect(signup(closed as Adapters, new HttpRequest(event))).rejects.toMatchObject({ code: 'signup_closed' });
  });
});

describe('sign-in', () => {
  it('answers a wrong password and an unknown address alike', async () => {
    const { email: address } = await signUp();
    const wrong = await logIn(address, 'not the password at all');
    const unknown = await logIn(email(), 'not the password at all');
    expect(wrong.status).toBe(401);
    const strip = (r: CallResult) => ({ status: r.status, error: r.body.error, cookie: r.headers.getSetCookie() });
    expect(strip(unknown)).toEqual(strip(wrong));
  });

  it('rotates the session id at sign-in: an id planted or held before is worthless afterwards (fixation)', async () => {
    const { email: address, session: before } = await signUp();
    const planted = `cs_session=${randomBytes(32).toString('base64url')}`;
    const res = await logIn(address, PASSWORD, { Cookie: before.cookie });
    expect(res.status).toBe(200);
    const after = sessionOf(res);
    expect(after.cookie).not.toBe(before.cookie);
    expect(after.csrf).not.toBe(before.csrf);
    expect((await me(before)).status).toBe(401); // the session presented at sign-in was ended
    expect((await me(after)).status).toBe(200);
    const fixed = await logIn(address, PASSWORD, { Cookie: planted });
    expect(sessionOf(fixed).cookie).not.toBe(planted);
    expect((await call(url(), '/v1/me', { headers: { Cookie: planted } })).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses a cookie request that changes something without the session token; keys are unaffected', async () => {
    const { session } = await signUp();
    const body = { name: 'd', widgets: [] };
    const none = await call(url(), '/v1/dashboards', { json: body, headers: as(session, false) });
    expect([none.status, none.body.error.code]).toEqual([403, 'csrf_token_invalid']);
    const wrong = await call(url(), '/v1/dashboards', {
      json: body,
      headers: { Cookie: session.cookie, 'X-CSRF-Token': `${session.csrf}x` },
    });
    expect(wrong.status).toBe(403);
    const logoutWithout = await call(url(), '/v1/auth/logout', { method: 'POST', headers: as(session, false) });
    expect(logoutWithout.status).toBe(403);
    expect((await call(url(), '/v1/dashboards', { json: body, headers: as(session) })).status).toBe(201);
    // Reads need no token; an API key never does.
    expect((await call(url(), '/v1/dashboards', { headers: as(session, false) })).status).toBe(200);
    expect((await call(url(), '/v1/dashboards', { json: body, key: tenant.keys.admin })).status).toBe(201);
  });
});

describe('stolen cookies', () => {
  it('stop working at sign-out', async () => {
    const { session } = await signUp();
    const stolen = { ...session };
    const out = await call(url(), '/v1/auth/logout', { method: 'POST', headers: as(session) });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie()[0]).toMatch(/^cs_session=; .*Max-Age=0/);
    expect((await me(stolen)).status).toBe(401);
    expect((await call(url(), '/v1/projects', { headers: as(stolen, false) })).status).toBe(401);
  });

  it('stop working at a password change, which signs the changer in afresh', async () => {
    const { email: address, session: mine } = await signUp();
    const stolen = sessionOf(await logIn(address));
    const wrongCurrent = await call(url(), '/v1/auth/password', {
      json: { current_password: 'not the password', new_password: 'amber kettle hums' },
      headers: as(mine),
    });
    expect([wrongCurrent.status, wrongCurrent.body.error.code]).toEqual([403, 'invalid_credentials']);
    const changed = await call(url(), '/v1/auth/password', {
      json: { current_password: PASSWORD, new_password: 'amber kettle hums' },
      headers: as(mine),
    });
    expect(changed.status).toBe(200);
    const fresh = sessionOf(changed);
    expect((await me(stolen)).status).toBe(401);
    expect((await me(mine)).status).toBe(401);
    expect((await me(fresh)).status).toBe(200);
    expect((await logIn(address)).status).toBe(401);
    expect((await logIn(address, 'amber kettle hums')).status).toBe(200);
  });
});

describe('expiry (injected clock)', () => {
  it('ends a session unused for the idle limit, and any session at the absolute limit', async () => {
    const start = clock;
    try {
      const { session: idle } = await signUp();
      clock += 29 * 60_000;
      expect((await me(idle)).status).toBe(200); // use moves the idle limit
      clock += 29 * 60_000;
      expect((await me(idle)).status).toBe(200);
      clock += 30 * 60_000;
      expect((await me(idle)).status).toBe(401);

      const { session: busy } = await signUp();
      for (let i = 0; i < 4; i++) {
        clock += 25 * 60_000; // used every 25 minutes: never idle, 100 minutes in
        expect((await me(busy)).status).toBe(200);
      }
      clock += 20 * 60_000 - 1;
      expect((await me(busy)).status).toBe(200);
      clock += 1; // 2 h after sign-in
      expect((await me(busy)).status).toBe(401);
    } finally {
      clock = start + 3 * 3_600_000;
    }
  });
});

describe('roles of cookie sessions', () => {
  it('maps viewer, editor, admin and owner onto what each route needs, in their own tenant only', async () => {
    const { session: owner, res } = await signUp();
    const tenantId = res.body.tenant.id as string;
    // The owner's address counts as verified (creating keys needs it; docs/api.md#e-mail-verification): this matrix
    // is about roles. verification.integration.test.ts covers the unverified case.
    await deps.sql`update users set email_verified_at = now() where id = ${res.body.user.id}`;
    const sessions: Record<Role, Session> = { owner } as Record<Role, Session>;
    for (const role of ['admin', 'editor', 'viewer'] as const) sessions[role] = await world.member(role, tenantId);
    const dashboard = await call(url(), '/v1/dashboards', { json: { name: 'd', widgets: [] }, headers: as(owner) });
    const probes: [string, string, unknown][] = [
      ['GET', '/v1/projects', undefined],
      ['GET', `/v1/dashboards/${dashboard.body.id}`, undefined],
      ['POST', '/v1/dashboards', { name: 'x', widgets: [] }],
      ['PUT', '/v1/catalog/signup', { project: 'default', description: 'x' }],
      ['POST', '/v1/api-keys', { scopes: ['read'] }],
      ['PATCH', '/v1/tenant', { timezone: 'UTC' }],
      ['POST', '/v1/events', { event_type: 'x', project: 'default' }],
    ];
    const matrix: Record<string, Record<string, number>> = {};
    for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
      for (const [method, path, json] of probes) {
        const r = await call(url(), path, { method, headers: as(sessions[role]), ...(json ? { json } : {}) });
        (matrix[`${method} ${path.replace(/\/[0-9a-f-]{36}$/, '/{id}')}`] ??= {})[role] = r.status;
      }
    }
    expect(matrix).toEqual({
      'GET /v1/projects': { viewer: 200, editor: 200, admin: 200, owner: 200 },
      'GET /v1/dashboards/{id}': { viewer: 200, editor: 200, admin: 200, owner: 200 },
      'POST /v1/dashboards': { viewer: 403, editor: 201, admin: 201, owner: 201 },
      'PUT /v1/catalog/signup': { viewer: 403, editor: 201, admin: 200, owner: 200 },
      'POST /v1/api-keys': { viewer: 403, editor: 403, admin: 201, owner: 201 },
      'PATCH /v1/tenant': { viewer: 403, editor: 403, admin: 200, owner: 200 },
      'POST /v1/events': { viewer: 401, editor: 401, admin: 401, owner: 401 },
    });
    // Another tenant's session never sees this one's dashboard.
    const { session: stranger } = await signUp();
    expect((await call(url(), `/v1/dashboards/${dashboard.body.id}`, { headers: as(stranger, false) })).status).toBe(
      404,
    );
  });
});

describe('throttling', () => {
  it('answers 429 with Retry-After after repeated failures for an account, known or not, until the window ends', async () => {
    const start = clock;
    try {
      clock = Math.ceil(clock / 900_000) * 900_000 + 60_000; // one minute into a 15-minute window
      const { email: address } = await signUp();
      const unknown = email();
      for (const who of [address, unknown]) {
        for (let i = 0; i < 3; i++) expect((await logIn(who, 'not the password at all')).status).toBe(401);
        const limited = await logIn(who, who === address ? PASSWORD : 'not the password at all');
        expect([limited.status, limited.body.error.code, limited.headers.get('retry-after')]).toEqual([
          429,
          'rate_limited',
          '840',
        ]);
      }
      clock += 14 * 60_000;
      expect((await logIn(address)).status).toBe(200);
    } finally {
      clock = start + 3_600_000;
    }
  });

  it('counts per client address too, and a success is not held against the address', async () => {
    const throttle = createLoginThrottle(
      env.adapters.redis,
      { perAccount: 100, perAddress: 3, windowMs: 60_000, keyPrefix: `lt-${randomBytes(6).toString('hex')}` },
      () => clock,
    );
    const addr = '203.0.113.7';
    expect(await throttle.attempt('a@x.io', addr)).toBeNull();
    await throttle.succeeded('a@x.io', addr);
    for (const who of ['b@x.io', 'c@x.io', 'd@x.io']) expect(await throttle.attempt(who, addr)).toBeNull();
    expect(await throttle.attempt('e@x.io', addr)).not.toBeNull();
    expect(await throttle.attempt('e@x.io', '203.0.113.8')).toBeNull();
  });
});

it('never writes a password, session id or CSRF token to the logs, even when a sign-in fails inside', async () => {
  let session: Session | undefined;
  let failed: CallResult | undefined;
  const logs = await debugLogsDuring(async () => {
    const s = await signUp();
    await logIn(s.email, 'a wrong password here');
    failThrottleOnce = true;
    failed = await logIn(s.email);
    session = sessionOf(await logIn(s.email));
    await call(url(), '/v1/dashboards', { json: { name: 'd', widgets: [] }, headers: as(session, false) });
    await call(url(), '/v1/auth/logout', { method: 'POST', headers: as(session) });
  });
  expect(failed!.status).toBe(500);
  expect(logs).toContain('throttle failed (test)');
  for (const secret of [PASSWORD, 'a wrong password here', session!.cookie.split('=')[1]!, session!.csrf])
    expect(logs).not.toContain(secret);
});

describe('members', () => {
  it('lists members, lets only an owner touch owners, keeps one owner, and ends a removed member’s sessions', async () => {
    const { session: owner, res } = await signUp();
    const tenantId = res.body.tenant.id as string;
    const ownerId = res.body.user.id as string;
    const admin = await world.member('admin', tenantId);
    const viewer = await world.member('viewer', tenantId);
    const list = await call(url(), '/v1/members', { headers: as(admin, false) });
    expect(list.body.members.map((m: { role: string }) => m.role).sort()).toEqual(['admin', 'owner', 'viewer']);
    expect((await call(url(), '/v1/members', { headers: as(viewer, false) })).status).toBe(403);
    const patch = (s: Session, id: string, role: string) =>
      call(url(), `/v1/members/${id}`, { method: 'PATCH', json: { role }, headers: as(s) });
    // An admin may not touch the owner nor make one; the owner may.
    expect((await patch(admin, ownerId, 'viewer')).status).toBe(403);
    expect((await patch(admin, viewer.id, 'owner')).status).toBe(403);
    expect((await patch(admin, viewer.id, 'editor')).body.role).toBe('editor');
    // The last owner stays, by change or by removal; with a second owner, the first may step down.
    expect((await patch(owner, ownerId, 'admin')).body.error.code).toBe('last_owner');
    const del = (s: Session, id: string) => call(url(), `/v1/members/${id}`, { method: 'DELETE', headers: as(s) });
    expect((await del(owner, ownerId)).status).toBe(409);
    expect((await patch(owner, admin.id, 'owner')).status).toBe(200);
    expect((await patch(owner, ownerId, 'admin')).body.role).toBe('admin');
    // The change applies to the live session at once: the former owner is an admin now.
    expect((await me(owner)).body.role).toBe('admin');
    // Removing a member ends their sessions in the tenant at once.
    expect((await me(viewer)).status).toBe(200);
    expect((await del(admin, viewer.id)).body).toEqual({ id: viewer.id, removed: true });
    expect((await me(viewer)).status).toBe(401);
    expect((await del(admin, viewer.id)).status).toBe(404);
  });
});
