// Every route and status code in the OpenAPI document is real: each is produced here by a real request.
import { useTestEnv, type TestEnv, type TestTenant } from '../../test/harness';
import { call, type CallResult } from '../../test/builders';
import type { LocalRuntime } from '../../local/runtime';
import { freePort } from '../../scripts/kafka/broker';
import { OPENAPI } from './openapi';
import { newLinkToken } from '../../core/accounts';
import { startTestIssuer, type TestIssuer } from '../../test/oidc-issuer';

interface World {
  env: TestEnv;
  runtime: LocalRuntime;
  tenant: TestTenant;
}
// SSO: a real OpenID Connect issuer for PUT /v1/sso's discovery (test/oidc-issuer.ts).
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer('https://app.example.test/v1/auth/sso/callback', 1);
});
afterAll(async () => {
  await issuer?.stop();
});
const main: World = useTestEnv('statuses', {
  // Accounts: cheap password hashes, and failed sign-in counters of this run only; a key that seals SSO secrets.
  overrides: {
    PASSWORD_SCRYPT_LOG_N: '14',
    LOGIN_THROTTLE_PREFIX: `statuses-${Math.random().toString(36).slice(2)}`,
    SSO_SECRET_KEY: 'statuses-sso-key-0123456789abcdef0123456789',
  },
  tenants: 1,
  runtime: { consumers: false },
});
const inviteOnly = useTestEnv('statusesinvite', {
  overrides: { SIGNUP_MODE: 'invite-only' },
  topics: false,
  runtime: { consumers: false },
});
const limited: World = useTestEnv('statuses429', {
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: '1', RATE_LIMIT_BURST: '5', MAX_EVENTS_PER_BATCH: '5' },
  tenants: 1,
  runtime: { consumers: false },
});
const down: World = useTestEnv('statuses503', {
  overrides: async () => ({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, KAFKA_SEND_TIMEOUT: '500ms' }),
  topics: false,
  tenants: 1,
  runtime: { consumers: false },
});

type Recipe = () => Promise<CallResult>;
const m = () => main.runtime.url;
const k = () => main.tenant.keys;
const event = { event_type: 'documented', project: 'web' };
let adminKeyId = '';
let ruleId = '';
let dashboardId = '';
let erasureId = '';
/** A person known by its distinct_ids row alone (no consumers run here): enough to erase and export. */
const seedPerson = async (id: string) => {
  const t = main.tenant;
  await main.env.adapters.sql`
    insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
    values (${t.id}, ${t.project.id}, ${id}, ${id}, true, now(), now(), 0) on conflict do nothing`;
};
const dashboard = {
  name: 'Ops',
  widgets: [
    { type: 'timeseries', title: 'Failures', query: { event_type: 'checkout_failed', interval: '1m', range: '1h' } },
  ],
};
const alertRule = {
  name: 'Checkout failures',
  project: 'web',
  event_type: 'checkout_failed',
  metric: 'count',
  condition: { op: '>', threshold: 10 },
  window: '5m',
  channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
};

const funnel = () => ({
  project: 'web',
  steps: [{ event_type: 'signup' }, { event_type: 'checkout' }],
  from: new Date(Date.now() - 86_400_000).toISOString(),
  to: new Date().toISOString(),
});
const funnelLink = (body: object) =>
  `/v1/funnels/persons?query=${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
const retention = {
  start_event: 'documented',
  return_event: 'documented',
  period: 'day',
  periods: 2,
  from: new Date(Date.now() - 86_400_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
};

// Accounts (docs/api.md#accounts): each recipe signs up its own person, so none depends on another's session.
const PASSWORD = 'violet tractor sings';
const ssoConfig = () => ({
  issuer: issuer.issuer,
  client_id: issuer.clients[0]!.client_id,
  client_secret: issuer.clients[0]!.client_secret,
  allowed_domains: ['example.com'],
  default_role: 'viewer',
});
const newEmail = () => `s-${Math.random().toString(36).slice(2)}@example.com`;
const signUp = (email = newEmail()) =>
  call(m(), '/v1/auth/signup', { json: { email, password: PASSWORD, organization: 'Documented' } });
async function session(): Promise<{ email: string; headers: Record<string, string> }> {
  const email = newEmail();
  const r = await signUp(email);
  const cookie = r.headers.getSetCookie()[0]!.split(';')[0]!;
  return { email, headers: { Cookie: cookie, 'X-CSRF-Token': r.body.csrf_token } };
}
/** A member of the main tenant with this role (its id). */
const member = async (role: 'owner' | 'viewer') =>
  (
    await main.env.adapters.accounts.createMember({
      tenantId: main.tenant.id,
      email: newEmail(),
      name: null,
      passwordHash: 'scrypt$14$8$1$AAAA$AAAA',
      role,
      nowMs: Date.now(),
    })
  ).id;
/** An invite to the main tenant (by its admin key), as the token of its link. */
async function inviteToken(email: string): Promise<string> {
  const r = await call(m(), '/v1/invites', { key: k().admin, json: { email, role: 'viewer' } });
  return /#token=([\w-]{43})$/.exec(r.body.invite_url)![1]!;
}
/** An invite made in the store (no already-member check), as its token. */
async function storedInviteToken(email: string): Promise<string> {
  const { id, hash } = newLinkToken();
  await main.env.adapters.accounts.createInvite(
    {
      tenantId: main.tenant.id,
      email,
      role: 'viewer',
      tokenHash: hash,
      invitedBy: 'test',
      nowMs: Date.now(),
      ttlMs: 60_000,
    },
    (i) => ({
      tenantId: main.tenant.id,
      atMs: Date.now(),
      actor: { kind: 'system', id: 'test' },
      action: 'invite.create',
      target: i.id,
      before: null,
      after: null,
    }),
  );
  return id;
}
const accept = (token: string, password = PASSWORD) =>
  call(m(), '/v1/auth/accept-invite', { json: { token, password, name: 'Documented' } });
const withoutCsrf = (h: Record<string, string>) => ({ Cookie: h.Cookie! });
async function repeat(times: number, send: () => Promise<CallResult>): Promise<CallResult> {
  let last = await send();
  for (let i = 1; i < times; i++) last = await send();
  return last;
}

const RECIPES: Record<string, Recipe> = {
  'POST /v1/auth/signup 201': () => signUp(),
  'POST /v1/auth/signup 400': () =>
    call(m(), '/v1/auth/signup', { json: { email: newEmail(), password: 'Password123', organization: 'x' } }),
  'POST /v1/auth/signup 403': () =>
    call(inviteOnly.runtime.url, '/v1/auth/signup', {
      json: { email: newEmail(), password: PASSWORD, organization: 'x' },
    }),
  'POST /v1/auth/signup 409': async () => {
    const email = newEmail();
    await signUp(email);
    return signUp(email);
  },
  'POST /v1/auth/login 200': async () => {
    const { email } = await session();
    return call(m(), '/v1/auth/login', { json: { email, password: PASSWORD } });
  },
  'POST /v1/auth/login 400': () => call(m(), '/v1/auth/login', { json: { email: newEmail() } }),
  'POST /v1/auth/login 401': () => call(m(), '/v1/auth/login', { json: { email: newEmail(), password: PASSWORD } }),
  'POST /v1/auth/login 429': () => {
    const email = newEmail();
    return repeat(6, () => call(m(), '/v1/auth/login', { json: { email, password: PASSWORD } }));
  },
  'POST /v1/auth/logout 200': async () =>
    call(m(), '/v1/auth/logout', { method: 'POST', headers: (await session()).headers }),
  'POST /v1/auth/logout 401': () => call(m(), '/v1/auth/logout', { method: 'POST' }),
  'POST /v1/auth/logout 403': async () =>
    call(m(), '/v1/auth/logout', { method: 'POST', headers: withoutCsrf((await session()).headers) }),
  'POST /v1/auth/password 200': async () =>
    call(m(), '/v1/auth/password', {
      json: { current_password: PASSWORD, new_password: 'amber kettle hums' },
      headers: (await session()).headers,
    }),
  'POST /v1/auth/password 400': async () =>
    call(m(), '/v1/auth/password', {
      json: { current_password: PASSWORD, new_password: 'short' },
      headers: (await session()).headers,
    }),
  'POST /v1/auth/password 401': () =>
    call(m(), '/v1/auth/password', { json: { current_password: PASSWORD, new_password: 'amber kettle hums' } }),
  'POST /v1/auth/password 403': async () =>
    call(m(), '/v1/auth/password', {
      json: { current_password: PASSWORD, new_password: 'amber kettle hums' },
      headers: withoutCsrf((await session()).headers),
    }),
  'POST /v1/auth/password 429': async () => {
    const { headers } = await session();
    const json = { current_password: 'not the password at all', new_password: 'amber kettle hums' };
    return repeat(6, () => call(m(), '/v1/auth/password', { json, headers }));
  },
  'GET /v1/members 200': () => call(m(), '/v1/members', { key: k().admin }),
  'GET /v1/members 401': () => call(m(), '/v1/members'),
  'GET /v1/members 403': () => call(m(), '/v1/members', { key: k().read }),
  'PATCH /v1/members/{id} 200': async () =>
    call(m(), `/v1/members/${await member('viewer')}`, { method: 'PATCH', key: k().admin, json: { role: 'editor' } }),
  'PATCH /v1/members/{id} 400': async () =>
    call(m(), `/v1/members/${await member('viewer')}`, { method: 'PATCH', key: k().admin, json: { role: 'boss' } }),
  'PATCH /v1/members/{id} 401': () => call(m(), `/v1/members/${crypto.randomUUID()}`, { method: 'PATCH', json: {} }),
  'PATCH /v1/members/{id} 403': async () =>
    call(m(), `/v1/members/${await member('owner')}`, { method: 'PATCH', key: k().admin, json: { role: 'viewer' } }),
  'PATCH /v1/members/{id} 404': () =>
    call(m(), `/v1/members/${crypto.randomUUID()}`, { method: 'PATCH', key: k().admin, json: { role: 'viewer' } }),
  'PATCH /v1/members/{id} 409': async () => {
    const r = await signUp();
    const headers = { Cookie: r.headers.getSetCookie()[0]!.split(';')[0]!, 'X-CSRF-Token': r.body.csrf_token };
    return call(m(), `/v1/members/${r.body.user.id}`, { method: 'PATCH', headers, json: { role: 'admin' } });
  },
  'DELETE /v1/members/{id} 200': async () =>
    call(m(), `/v1/members/${await member('viewer')}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/members/{id} 401': () => call(m(), `/v1/members/${crypto.randomUUID()}`, { method: 'DELETE' }),
  'DELETE /v1/members/{id} 403': async () =>
    call(m(), `/v1/members/${await member('owner')}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/members/{id} 404': () =>
    call(m(), `/v1/members/${crypto.randomUUID()}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/members/{id} 409': async () => {
    const r = await signUp();
    const headers = { Cookie: r.headers.getSetCookie()[0]!.split(';')[0]!, 'X-CSRF-Token': r.body.csrf_token };
    return call(m(), `/v1/members/${r.body.user.id}`, { method: 'DELETE', headers });
  },
  'POST /v1/auth/accept-invite 201': async () => accept(await inviteToken(newEmail())),
  'POST /v1/auth/accept-invite 400': () => accept(newLinkToken().id),
  'POST /v1/auth/accept-invite 401': async () => {
    const { email } = await session();
    return accept(await inviteToken(email), 'not the password at all');
  },
  'POST /v1/auth/accept-invite 409': async () => {
    // Joined by a first invite; a second one made in the store (POST /v1/invites refuses members already).
    const email = newEmail();
    await accept(await inviteToken(email));
    return accept(await storedInviteToken(email));
  },
  'POST /v1/auth/accept-invite 429': async () => {
    const { email } = await session();
    const token = await inviteToken(email);
    return repeat(6, () => accept(token, 'not the password at all'));
  },
  'POST /v1/auth/verify-email 200': async () => {
    const { email } = await session();
    const user = (await main.env.adapters.accounts.findUserByEmail(email))!;
    const { id, hash } = newLinkToken();
    await main.env.adapters.accounts.createEmailVerification({
      userId: user.id,
      tokenHash: hash,
      nowMs: Date.now(),
      ttlMs: 60_000,
    });
    return call(m(), '/v1/auth/verify-email', { json: { token: id } });
  },
  'POST /v1/auth/verify-email 400': () => call(m(), '/v1/auth/verify-email', { json: { token: newLinkToken().id } }),
  'POST /v1/auth/verify-email/resend 200': async () =>
    call(m(), '/v1/auth/verify-email/resend', { method: 'POST', headers: (await session()).headers }),
  'POST /v1/auth/verify-email/resend 401': () => call(m(), '/v1/auth/verify-email/resend', { method: 'POST' }),
  'POST /v1/auth/verify-email/resend 403': async () =>
    call(m(), '/v1/auth/verify-email/resend', { method: 'POST', headers: withoutCsrf((await session()).headers) }),
  'POST /v1/auth/verify-email/resend 429': async () => {
    const { headers } = await session();
    return repeat(6, () => call(m(), '/v1/auth/verify-email/resend', { method: 'POST', headers }));
  },
  'POST /v1/auth/forgot 202': () => call(m(), '/v1/auth/forgot', { json: { email: newEmail() } }),
  'POST /v1/auth/forgot 400': () => call(m(), '/v1/auth/forgot', { json: { email: 'nobody' } }),
  'POST /v1/auth/forgot 429': () => {
    const email = newEmail();
    return repeat(6, () => call(m(), '/v1/auth/forgot', { json: { email } }));
  },
  'POST /v1/auth/reset 200': async () => {
    const { email } = await session();
    const user = (await main.env.adapters.accounts.findUserByEmail(email))!;
    const { id, hash } = newLinkToken();
    await main.env.adapters.accounts.createPasswordReset({
      userId: user.id,
      tokenHash: hash,
      nowMs: Date.now(),
      ttlMs: 60_000,
    });
    return call(m(), '/v1/auth/reset', { json: { token: id, password: 'amber kettle hums' } });
  },
  'POST /v1/auth/reset 400': () =>
    call(m(), '/v1/auth/reset', { json: { token: newLinkToken().id, password: 'amber kettle hums' } }),
  'GET /v1/auth/options 200': () => call(m(), '/v1/auth/options'),
  'GET /v1/invites 200': () => call(m(), '/v1/invites', { key: k().admin }),
  'GET /v1/invites 401': () => call(m(), '/v1/invites'),
  'GET /v1/invites 403': () => call(m(), '/v1/invites', { key: k().read }),
  'POST /v1/invites 201': () =>
    call(m(), '/v1/invites', { key: k().admin, json: { email: newEmail(), role: 'viewer' } }),
  'POST /v1/invites 400': () => call(m(), '/v1/invites', { key: k().admin, json: { email: newEmail(), role: 'boss' } }),
  'POST /v1/invites 401': () => call(m(), '/v1/invites', { json: { email: newEmail(), role: 'viewer' } }),
  'POST /v1/invites 403': () =>
    call(m(), '/v1/invites', { key: k().admin, json: { email: newEmail(), role: 'owner' } }),
  'POST /v1/invites 409': async () => {
    const email = newEmail();
    await accept(await inviteToken(email));
    return call(m(), '/v1/invites', { key: k().admin, json: { email, role: 'viewer' } });
  },
  'DELETE /v1/invites/{id} 200': async () => {
    const made = await call(m(), '/v1/invites', { key: k().admin, json: { email: newEmail(), role: 'viewer' } });
    return call(m(), `/v1/invites/${made.body.id}`, { method: 'DELETE', key: k().admin });
  },
  'DELETE /v1/invites/{id} 401': () => call(m(), `/v1/invites/${crypto.randomUUID()}`, { method: 'DELETE' }),
  'DELETE /v1/invites/{id} 403': () =>
    call(m(), `/v1/invites/${crypto.randomUUID()}`, { method: 'DELETE', key: k().read }),
  'DELETE /v1/invites/{id} 404': () =>
    call(m(), `/v1/invites/${crypto.randomUUID()}`, { method: 'DELETE', key: k().admin }),
  'GET /v1/sso 200': async () => {
    await call(m(), '/v1/sso', { method: 'PUT', key: k().admin, json: ssoConfig() });
    return call(m(), '/v1/sso', { key: k().admin });
  },
  'GET /v1/sso 401': () => call(m(), '/v1/sso'),
  'GET /v1/sso 403': () => call(m(), '/v1/sso', { key: k().read }),
  'GET /v1/sso 404': async () => call(m(), '/v1/sso', { key: (await main.env.createTenant()).keys.admin }),
  'PUT /v1/sso 200': () => call(m(), '/v1/sso', { method: 'PUT', key: k().admin, json: ssoConfig() }),
  'PUT /v1/sso 400': () =>
    call(m(), '/v1/sso', { method: 'PUT', key: k().admin, json: { ...ssoConfig(), allowed_domains: [] } }),
  'PUT /v1/sso 401': () => call(m(), '/v1/sso', { method: 'PUT', json: ssoConfig() }),
  'PUT /v1/sso 403': () => call(m(), '/v1/sso', { method: 'PUT', key: k().read, json: ssoConfig() }),
  // The invite-only world has no SSO_SECRET_KEY.
  'PUT /v1/sso 409': async () =>
    call(inviteOnly.runtime.url, '/v1/sso', {
      method: 'PUT',
      key: (await inviteOnly.env.createTenant()).keys.admin,
      json: ssoConfig(),
    }),
  'DELETE /v1/sso 200': async () => {
    const t = await main.env.createTenant();
    await call(m(), '/v1/sso', { method: 'PUT', key: t.keys.admin, json: ssoConfig() });
    return call(m(), '/v1/sso', { method: 'DELETE', key: t.keys.admin });
  },
  'DELETE /v1/sso 401': () => call(m(), '/v1/sso', { method: 'DELETE' }),
  'DELETE /v1/sso 403': () => call(m(), '/v1/sso', { method: 'DELETE', key: k().read }),
  'DELETE /v1/sso 404': async () =>
    call(m(), '/v1/sso', { method: 'DELETE', key: (await main.env.createTenant()).keys.admin }),
  'GET /v1/auth/sso/start 302': () => call(m(), `/v1/auth/sso/start?organization=${main.tenant.slug}`),
  'GET /v1/auth/sso/callback 302': () => call(m(), '/v1/auth/sso/callback?state=unknown&code=x'),
  'GET /v1/me 200': async () => call(m(), '/v1/me', { headers: (await session()).headers }),
  'GET /v1/me 401': () => call(m(), '/v1/me'),

  'POST /v1/funnels/query 200': () => call(m(), '/v1/funnels/query', { key: k().read, json: funnel() }),
  'POST /v1/funnels/query 400': () =>
    call(m(), '/v1/funnels/query', { key: k().read, json: { ...funnel(), steps: [] } }),
  'POST /v1/funnels/query 401': () => call(m(), '/v1/funnels/query', { json: funnel() }),
  'POST /v1/funnels/query 403': () => call(m(), '/v1/funnels/query', { key: k().ingest, json: funnel() }),
  'POST /v1/funnels/query 404': () =>
    call(m(), '/v1/funnels/query', { key: k().read, json: { ...funnel(), project: 'nope' } }),
  'POST /v1/funnels/persons 200': () =>
    call(m(), '/v1/funnels/persons', { key: k().read, json: { ...funnel(), step: 2 } }),
  'POST /v1/funnels/persons 400': () =>
    call(m(), '/v1/funnels/persons', { key: k().read, json: { ...funnel(), step: 3 } }),
  'POST /v1/funnels/persons 401': () => call(m(), '/v1/funnels/persons', { json: { ...funnel(), step: 2 } }),
  'POST /v1/funnels/persons 403': () =>
    call(m(), '/v1/funnels/persons', { key: k().ingest, json: { ...funnel(), step: 2 } }),
  'POST /v1/funnels/persons 404': () =>
    call(m(), '/v1/funnels/persons', { key: k().read, json: { ...funnel(), project: 'nope', step: 2 } }),
  'GET /v1/funnels/persons 200': () => call(m(), funnelLink({ ...funnel(), step: 2 }), { key: k().read }),
  'GET /v1/funnels/persons 400': () => call(m(), '/v1/funnels/persons?query=e30', { key: k().read }),
  'GET /v1/funnels/persons 401': () => call(m(), funnelLink({ ...funnel(), step: 2 })),
  'GET /v1/funnels/persons 403': () => call(m(), funnelLink({ ...funnel(), step: 2 }), { key: k().ingest }),
  'GET /v1/funnels/persons 404': () =>
    call(m(), funnelLink({ ...funnel(), project: 'nope', step: 2 }), { key: k().read }),
  'POST /v1/events 202': () => call(m(), '/v1/events', { key: k().ingest, json: event }),
  'POST /v1/events 400': () =>
    call(m(), '/v1/events', { key: k().ingest, body: '{', headers: { 'Content-Type': 'application/json' } }),
  'POST /v1/events 401': () => call(m(), '/v1/events', { json: event }),
  'POST /v1/events 403': () => call(m(), '/v1/events', { key: k().read, json: event }),
  'POST /v1/events 413': () =>
    call(m(), '/v1/events', { key: k().ingest, json: { ...event, properties: { s: 'x'.repeat(2_000_000) } } }),
  'POST /v1/events 415': () =>
    call(m(), '/v1/events', { key: k().ingest, body: '{}', headers: { 'Content-Type': 'text/plain' } }),
  'POST /v1/events 429': async () => {
    const json = { events: Array.from({ length: 5 }, () => event) };
    await call(limited.runtime.url, '/v1/events', { key: limited.tenant.keys.ingest, json });
    return call(limited.runtime.url, '/v1/events', { key: limited.tenant.keys.ingest, json });
  },
  'POST /v1/events 503': () => call(down.runtime.url, '/v1/events', { key: down.tenant.keys.ingest, json: event }),
  'GET /v1/events 200': () => call(m(), '/v1/events', { key: k().read }),
  'GET /v1/events 400': () => call(m(), '/v1/events?limit=0', { key: k().read }),
  'GET /v1/events 401': () => call(m(), '/v1/events'),
  'GET /v1/events 403': () => call(m(), '/v1/events', { key: k().ingest }),
  'GET /v1/events 404': () => call(m(), '/v1/events?project=nope', { key: k().read }),
  'GET /v1/events/export 200': () => call(m(), `/v1/events/export?from=0&to=${Date.now()}`, { key: k().read }),
  'GET /v1/events/export 400': () => call(m(), '/v1/events/export?from=0', { key: k().read }),
  'GET /v1/events/export 401': () => call(m(), `/v1/events/export?from=0&to=${Date.now()}`),
  'GET /v1/events/export 403': () => call(m(), `/v1/events/export?from=0&to=${Date.now()}`, { key: k().ingest }),
  'GET /v1/events/export 404': () =>
    call(m(), `/v1/events/export?from=0&to=${Date.now()}&project=nope`, { key: k().read }),
  'GET /v1/metrics 200': () => call(m(), '/v1/metrics?event_type=documented', { key: k().read }),
  'GET /v1/metrics 400': () => call(m(), '/v1/metrics', { key: k().read }),
  'GET /v1/metrics 401': () => call(m(), '/v1/metrics?event_type=documented'),
  'GET /v1/metrics 403': () => call(m(), '/v1/metrics?event_type=documented', { key: k().ingest }),
  'GET /v1/metrics 404': () => call(m(), '/v1/metrics?event_type=documented&project=nope', { key: k().read }),
  'GET /v1/status 200': () => call(m(), '/v1/status', { key: k().read }),
  'GET /v1/status 401': () => call(m(), '/v1/status'),
  'GET /v1/status 403': () => call(m(), '/v1/status', { key: k().ingest }),
  'GET /v1/tenant 200': () => call(m(), '/v1/tenant', { key: k().read }),
  'GET /v1/tenant 401': () => call(m(), '/v1/tenant'),
  'GET /v1/tenant 403': () => call(m(), '/v1/tenant', { key: k().ingest }),
  // The zone it already has: documents the 200 without moving this file's buckets.
  'PATCH /v1/tenant 200': () => call(m(), '/v1/tenant', { method: 'PATCH', key: k().admin, json: { timezone: 'UTC' } }),
  'PATCH /v1/tenant 400': () =>
    call(m(), '/v1/tenant', { method: 'PATCH', key: k().admin, json: { timezone: '+05:30' } }),
  'PATCH /v1/tenant 401': () => call(m(), '/v1/tenant', { method: 'PATCH', json: { timezone: 'UTC' } }),
  'PATCH /v1/tenant 403': () => call(m(), '/v1/tenant', { method: 'PATCH', key: k().read, json: { timezone: 'UTC' } }),
  'GET /v1/projects 200': () => call(m(), '/v1/projects', { key: k().read }),
  'GET /v1/projects 401': () => call(m(), '/v1/projects'),
  'GET /v1/projects 403': () => call(m(), '/v1/projects', { key: k().ingest }),
  'POST /v1/projects 201': () => call(m(), '/v1/projects', { key: k().admin, json: { slug: 'documented' } }),
  'POST /v1/projects 400': () => call(m(), '/v1/projects', { key: k().admin, json: { slug: 'No Slug' } }),
  'POST /v1/projects 401': () => call(m(), '/v1/projects', { json: { slug: 'x' } }),
  'POST /v1/projects 403': () => call(m(), '/v1/projects', { key: k().read, json: { slug: 'x' } }),
  'POST /v1/projects 409': () => call(m(), '/v1/projects', { key: k().admin, json: { slug: 'web' } }),
  'PATCH /v1/projects/{slug} 200': () =>
    call(m(), '/v1/projects/web', { method: 'PATCH', key: k().admin, json: { name: 'Web' } }),
  'PATCH /v1/projects/{slug} 400': () =>
    call(m(), '/v1/projects/web', { method: 'PATCH', key: k().admin, json: { schema_mode: 'loose' } }),
  'PATCH /v1/projects/{slug} 401': () => call(m(), '/v1/projects/web', { method: 'PATCH', json: {} }),
  'PATCH /v1/projects/{slug} 403': () => call(m(), '/v1/projects/web', { method: 'PATCH', key: k().read, json: {} }),
  'PATCH /v1/projects/{slug} 404': () => call(m(), '/v1/projects/nope', { method: 'PATCH', key: k().admin, json: {} }),
  'GET /v1/api-keys 200': () => call(m(), '/v1/api-keys', { key: k().admin }),
  'GET /v1/api-keys 401': () => call(m(), '/v1/api-keys'),
  'GET /v1/api-keys 403': () => call(m(), '/v1/api-keys', { key: k().read }),
  'POST /v1/api-keys 201': async () => {
    const res = await call(m(), '/v1/api-keys', { key: k().admin, json: { scopes: ['read'] } });
    adminKeyId = res.body.id;
    return res;
  },
  'POST /v1/api-keys 400': () => call(m(), '/v1/api-keys', { key: k().admin, json: { scopes: ['write'] } }),
  'POST /v1/api-keys 401': () => call(m(), '/v1/api-keys', { json: { scopes: ['read'] } }),
  'POST /v1/api-keys 403': () => call(m(), '/v1/api-keys', { key: k().read, json: { scopes: ['read'] } }),
  'POST /v1/api-keys 404': () =>
    call(m(), '/v1/api-keys', { key: k().admin, json: { scopes: ['read'], project: 'nope' } }),
  'DELETE /v1/api-keys/{id} 200': () => call(m(), `/v1/api-keys/${adminKeyId}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/api-keys/{id} 401': () => call(m(), `/v1/api-keys/${adminKeyId}`, { method: 'DELETE' }),
  'DELETE /v1/api-keys/{id} 403': () => call(m(), `/v1/api-keys/${adminKeyId}`, { method: 'DELETE', key: k().read }),
  'DELETE /v1/api-keys/{id} 404': () =>
    call(m(), '/v1/api-keys/00000000-0000-4000-8000-000000000000', { method: 'DELETE', key: k().admin }),
  'GET /v1/catalog 200': () => call(m(), '/v1/catalog', { key: k().read }),
  'GET /v1/catalog 401': () => call(m(), '/v1/catalog'),
  'GET /v1/catalog 403': () => call(m(), '/v1/catalog', { key: k().ingest }),
  'GET /v1/catalog 404': () => call(m(), '/v1/catalog?project=nope', { key: k().read }),
  'GET /v1/catalog/violations 200': () => call(m(), '/v1/catalog/violations', { key: k().read }),
  'GET /v1/catalog/violations 401': () => call(m(), '/v1/catalog/violations'),
  'GET /v1/catalog/violations 403': () => call(m(), '/v1/catalog/violations', { key: k().ingest }),
  'GET /v1/catalog/violations 404': () => call(m(), '/v1/catalog/violations?project=nope', { key: k().read }),
  'PUT /v1/catalog/{event_type} 200': async () => {
    await call(m(), '/v1/catalog/declared_twice', { method: 'PUT', key: k().admin, json: { project: 'web' } });
    return call(m(), '/v1/catalog/declared_twice', {
      method: 'PUT',
      key: k().admin,
      json: { project: 'web', description: 'again' },
    });
  },
  'PUT /v1/catalog/{event_type} 201': () =>
    call(m(), '/v1/catalog/Order%20Completed', {
      method: 'PUT',
      key: k().admin,
      json: { project: 'web', properties: { total: 'number' } },
    }),
  'PUT /v1/catalog/{event_type} 400': () =>
    call(m(), '/v1/catalog/%24reserved', { method: 'PUT', key: k().admin, json: { project: 'web' } }),
  'PUT /v1/catalog/{event_type} 401': () =>
    call(m(), '/v1/catalog/documented', { method: 'PUT', json: { project: 'web' } }),
  'PUT /v1/catalog/{event_type} 403': () =>
    call(m(), '/v1/catalog/documented', { method: 'PUT', key: k().read, json: { project: 'web' } }),
  'PUT /v1/catalog/{event_type} 404': () =>
    call(m(), '/v1/catalog/documented', { method: 'PUT', key: k().admin, json: { project: 'nope' } }),
  'PUT /v1/catalog/{event_type} 409': () => {
    const properties = Object.fromEntries(
      Array.from({ length: main.env.config.catalog.maxPropertiesPerType + 1 }, (_, i) => [`p${i}`, 'string']),
    );
    return call(m(), '/v1/catalog/too_wide', { method: 'PUT', key: k().admin, json: { project: 'web', properties } });
  },
  'GET /v1/alert-rules 200': () => call(m(), '/v1/alert-rules', { key: k().read }),
  'GET /v1/alert-rules 401': () => call(m(), '/v1/alert-rules'),
  'GET /v1/alert-rules 403': () => call(m(), '/v1/alert-rules', { key: k().ingest }),
  'POST /v1/alert-rules 201': async () => {
    const res = await call(m(), '/v1/alert-rules', { key: k().admin, json: alertRule });
    ruleId = res.body.id;
    return res;
  },
  'POST /v1/alert-rules 400': () =>
    call(m(), '/v1/alert-rules', { key: k().admin, json: { ...alertRule, window: '7m3s' } }),
  'POST /v1/alert-rules 401': () => call(m(), '/v1/alert-rules', { json: alertRule }),
  'POST /v1/alert-rules 403': () => call(m(), '/v1/alert-rules', { key: k().read, json: alertRule }),
  'POST /v1/alert-rules/preview 200': () =>
    call(m(), '/v1/alert-rules/preview', {
      key: k().read,
      json: { rule: alertRule, from: new Date(Date.now() - 60_000).toISOString() },
    }),
  'POST /v1/alert-rules/preview 400': () =>
    call(m(), '/v1/alert-rules/preview', { key: k().read, json: { rule: alertRule } }),
  'POST /v1/alert-rules/preview 401': () => call(m(), '/v1/alert-rules/preview', { json: {} }),
  'POST /v1/alert-rules/preview 403': () => call(m(), '/v1/alert-rules/preview', { key: k().ingest, json: {} }),
  'POST /v1/retention/query 200': () => call(m(), '/v1/retention/query', { key: k().read, json: retention }),
  'POST /v1/retention/query 400': () =>
    call(m(), '/v1/retention/query', { key: k().read, json: { ...retention, period: 'month' } }),
  'POST /v1/retention/query 401': () => call(m(), '/v1/retention/query', { json: retention }),
  'POST /v1/retention/query 403': () => call(m(), '/v1/retention/query', { key: k().ingest, json: retention }),
  'POST /v1/retention/query 404': () =>
    call(m(), '/v1/retention/query', { key: k().read, json: { ...retention, project: 'nope' } }),
  'GET /v1/alert-rules/{id} 200': () => call(m(), `/v1/alert-rules/${ruleId}`, { key: k().read }),
  'GET /v1/alert-rules/{id} 401': () => call(m(), `/v1/alert-rules/${ruleId}`),
  'GET /v1/alert-rules/{id} 403': () => call(m(), `/v1/alert-rules/${ruleId}`, { key: k().ingest }),
  'GET /v1/alert-rules/{id} 404': () =>
    call(m(), '/v1/alert-rules/00000000-0000-4000-8000-000000000000', { key: k().read }),
  'PUT /v1/alert-rules/{id} 200': () =>
    call(m(), `/v1/alert-rules/${ruleId}`, { method: 'PUT', key: k().admin, json: { ...alertRule, enabled: false } }),
  'PUT /v1/alert-rules/{id} 400': () =>
    call(m(), `/v1/alert-rules/${ruleId}`, {
      method: 'PUT',
      key: k().admin,
      json: { ...alertRule, condition: { op: '!=', threshold: 1 } },
    }),
  'PUT /v1/alert-rules/{id} 401': () => call(m(), `/v1/alert-rules/${ruleId}`, { method: 'PUT', json: alertRule }),
  'PUT /v1/alert-rules/{id} 403': () =>
    call(m(), `/v1/alert-rules/${ruleId}`, { method: 'PUT', key: k().read, json: alertRule }),
  'PUT /v1/alert-rules/{id} 404': () =>
    call(m(), '/v1/alert-rules/not-a-rule', { method: 'PUT', key: k().admin, json: alertRule }),
  'DELETE /v1/alert-rules/{id} 200': () => call(m(), `/v1/alert-rules/${ruleId}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/alert-rules/{id} 401': () => call(m(), `/v1/alert-rules/${ruleId}`, { method: 'DELETE' }),
  'DELETE /v1/alert-rules/{id} 403': () => call(m(), `/v1/alert-rules/${ruleId}`, { method: 'DELETE', key: k().read }),
  'DELETE /v1/alert-rules/{id} 404': () =>
    call(m(), '/v1/alert-rules/00000000-0000-4000-8000-000000000000', { method: 'DELETE', key: k().admin }),
  'GET /v1/alerts 200': () => call(m(), '/v1/alerts', { key: k().read }),
  'GET /v1/alerts 400': () => call(m(), '/v1/alerts?limit=1000', { key: k().read }),
  'GET /v1/alerts 401': () => call(m(), '/v1/alerts'),
  'GET /v1/alerts 403': () => call(m(), '/v1/alerts', { key: k().ingest }),
  'GET /v1/alerts 404': () => call(m(), '/v1/alerts?rule_id=00000000-0000-4000-8000-000000000000', { key: k().read }),
  'GET /v1/dashboards 200': async () => {
    const res = await call(m(), '/v1/dashboards', { key: k().read });
    dashboardId = res.body.dashboards[0].id;
    return res;
  },
  'GET /v1/dashboards 401': () => call(m(), '/v1/dashboards'),
  'GET /v1/dashboards 403': () => call(m(), '/v1/dashboards', { key: k().ingest }),
  'POST /v1/dashboards 201': () => call(m(), '/v1/dashboards', { key: k().admin, json: dashboard }),
  'POST /v1/dashboards 400': () =>
    call(m(), '/v1/dashboards', {
      key: k().admin,
      json: { name: 'x', widgets: [{ type: 'pie', title: 'x', query: {} }] },
    }),
  'POST /v1/dashboards 401': () => call(m(), '/v1/dashboards', { json: dashboard }),
  'POST /v1/dashboards 403': () => call(m(), '/v1/dashboards', { key: k().read, json: dashboard }),
  'GET /v1/dashboards/{id} 200': () => call(m(), `/v1/dashboards/${dashboardId}`, { key: k().read }),
  'GET /v1/dashboards/{id} 401': () => call(m(), `/v1/dashboards/${dashboardId}`),
  'GET /v1/dashboards/{id} 403': () => call(m(), `/v1/dashboards/${dashboardId}`, { key: k().ingest }),
  'GET /v1/dashboards/{id} 404': () =>
    call(m(), '/v1/dashboards/00000000-0000-4000-8000-000000000000', { key: k().read }),
  'PUT /v1/dashboards/{id} 200': () =>
    call(m(), `/v1/dashboards/${dashboardId}`, { method: 'PUT', key: k().admin, json: dashboard }),
  'PUT /v1/dashboards/{id} 400': () =>
    call(m(), `/v1/dashboards/${dashboardId}`, { method: 'PUT', key: k().admin, json: { name: '', widgets: [] } }),
  'PUT /v1/dashboards/{id} 401': () => call(m(), `/v1/dashboards/${dashboardId}`, { method: 'PUT', json: dashboard }),
  'PUT /v1/dashboards/{id} 403': () =>
    call(m(), `/v1/dashboards/${dashboardId}`, { method: 'PUT', key: k().read, json: dashboard }),
  'PUT /v1/dashboards/{id} 404': () =>
    call(m(), '/v1/dashboards/nope', { method: 'PUT', key: k().admin, json: dashboard }),
  'DELETE /v1/dashboards/{id} 200': () =>
    call(m(), `/v1/dashboards/${dashboardId}`, { method: 'DELETE', key: k().admin }),
  'DELETE /v1/dashboards/{id} 401': () => call(m(), `/v1/dashboards/${dashboardId}`, { method: 'DELETE' }),
  'DELETE /v1/dashboards/{id} 403': () =>
    call(m(), `/v1/dashboards/${dashboardId}`, { method: 'DELETE', key: k().read }),
  'DELETE /v1/dashboards/{id} 404': () =>
    call(m(), '/v1/dashboards/00000000-0000-4000-8000-000000000000', { method: 'DELETE', key: k().admin }),
  'GET /v1/users 200': () => call(m(), '/v1/users?q=a&project=web', { key: k().read }),
  'GET /v1/users 400': () => call(m(), '/v1/users?limit=0', { key: k().read }),
  'GET /v1/users 401': () => call(m(), '/v1/users'),
  'GET /v1/users 403': () => call(m(), '/v1/users', { key: k().ingest }),
  'GET /v1/users 404': () => call(m(), '/v1/users?project=nope', { key: k().read }),
  'GET /v1/users/{id} 200': async () => {
    await seedPerson('read-me');
    return call(m(), '/v1/users/read-me?project=web', { key: k().read });
  },
  'GET /v1/users/{id} 400': () => call(m(), '/v1/users/a%00b', { key: k().read }),
  'GET /v1/users/{id} 401': () => call(m(), '/v1/users/read-me'),
  'GET /v1/users/{id} 403': () => call(m(), '/v1/users/read-me', { key: k().ingest }),
  'GET /v1/users/{id} 404': () => call(m(), '/v1/users/never-seen?project=web', { key: k().read }),
  'GET /v1/users/{id}/events 200': async () => {
    await seedPerson('read-me');
    return call(m(), '/v1/users/read-me/events?project=web', { key: k().read });
  },
  'GET /v1/users/{id}/events 400': () => call(m(), '/v1/users/read-me/events?limit=0', { key: k().read }),
  'GET /v1/users/{id}/events 401': () => call(m(), '/v1/users/read-me/events'),
  'GET /v1/users/{id}/events 403': () => call(m(), '/v1/users/read-me/events', { key: k().ingest }),
  'GET /v1/users/{id}/events 404': () => call(m(), '/v1/users/never-seen/events?project=web', { key: k().read }),
  'DELETE /v1/users/{id} 202': async () => {
    await seedPerson('erase-me');
    const res = await call(m(), '/v1/users/erase-me', { method: 'DELETE', key: k().admin });
    erasureId = res.body.id;
    return res;
  },
  'DELETE /v1/users/{id} 400': () => call(m(), '/v1/users/a%00b', { method: 'DELETE', key: k().admin }),
  'DELETE /v1/users/{id} 401': () => call(m(), '/v1/users/erase-me', { method: 'DELETE' }),
  'DELETE /v1/users/{id} 403': () => call(m(), '/v1/users/erase-me', { method: 'DELETE', key: k().read }),
  'DELETE /v1/users/{id} 404': () => call(m(), '/v1/users/never-seen', { method: 'DELETE', key: k().admin }),
  'GET /v1/users/{id}/export 200': async () => {
    await seedPerson('export-me');
    return call(m(), '/v1/users/export-me/export', { key: k().admin });
  },
  'GET /v1/users/{id}/export 400': () => call(m(), '/v1/users/export-me/export?limit=0', { key: k().admin }),
  'GET /v1/users/{id}/export 401': () => call(m(), '/v1/users/export-me/export'),
  'GET /v1/users/{id}/export 403': () => call(m(), '/v1/users/export-me/export', { key: k().read }),
  'GET /v1/users/{id}/export 404': () => call(m(), '/v1/users/never-seen/export', { key: k().admin }),
  'GET /v1/erasures/{job_id} 200': () => call(m(), `/v1/erasures/${erasureId}`, { key: k().admin }),
  'GET /v1/erasures/{job_id} 400': () => call(m(), '/v1/erasures/not-a-job', { key: k().admin }),
  'GET /v1/erasures/{job_id} 401': () => call(m(), `/v1/erasures/${erasureId}`),
  'GET /v1/erasures/{job_id} 403': () => call(m(), `/v1/erasures/${erasureId}`, { key: k().read }),
  'GET /v1/erasures/{job_id} 404': () =>
    call(m(), '/v1/erasures/00000000-0000-4000-8000-000000000000', { key: k().admin }),
  'GET /v1/audit-log 200': () => call(m(), '/v1/audit-log?limit=5', { key: k().admin }),
  'GET /v1/audit-log 400': () => call(m(), '/v1/audit-log?cursor=not-a-cursor', { key: k().admin }),
  'GET /v1/audit-log 401': () => call(m(), '/v1/audit-log'),
  'GET /v1/audit-log 403': () => call(m(), '/v1/audit-log', { key: k().read }),
  'GET /v1/openapi.json 200': () => call(m(), '/v1/openapi.json'),
  'GET /healthz 200': () => call(m(), '/healthz'),
  'GET /readyz 200': () => call(m(), '/readyz'),
  'GET /readyz 503': () => call(down.runtime.url, '/readyz'),
};

// The Segment-spec endpoints: a write key is an ingest key bound to a project, sent as the Basic user name.
const writeKeys = new Map<World, Promise<string>>();
const basicAuth = async (w: World) => {
  if (!writeKeys.has(w)) writeKeys.set(w, w.env.createKey(w.tenant, ['ingest'], w.tenant.project.id));
  return { Authorization: `Basic ${Buffer.from(`${await writeKeys.get(w)!}:`).toString('base64')}` };
};
const SEGMENT_BODIES: Record<string, unknown> = {
  '/v1/batch': { batch: [{ type: 'track', userId: 'u', event: 'documented' }] },
  '/v1/track': { userId: 'u', event: 'documented' },
  '/v1/identify': { userId: 'u', traits: { plan: 'pro' } },
  '/v1/page': { userId: 'u', name: 'Home' },
  '/v1/screen': { userId: 'u', name: 'Home' },
  '/v1/group': { userId: 'u', groupId: 'acme' },
  '/v1/alias': { userId: 'u', previousId: 'anon' },
  '/v1/b': { batch: [{ type: 'track', userId: 'u', event: 'documented' }] },
  '/v1/t': { userId: 'u', event: 'documented' },
  '/v1/i': { userId: 'u', traits: { plan: 'pro' } },
  '/v1/p': { userId: 'u', name: 'Home' },
  '/v1/s': { userId: 'u', name: 'Home' },
  '/v1/g': { userId: 'u', groupId: 'acme' },
  '/v1/a': { userId: 'u', previousId: 'anon' },
};
for (const [path, json] of Object.entries(SEGMENT_BODIES)) {
  Object.assign(RECIPES, {
    [`POST ${path} 200`]: async () => call(m(), path, { json, headers: await basicAuth(main) }),
    [`POST ${path} 400`]: async () =>
      call(m(), path, {
        json: path === '/v1/batch' || path === '/v1/b' ? { batch: [] } : { event: 'no user' },
        headers: await basicAuth(main),
      }),
    [`POST ${path} 401`]: () => call(m(), path, { json }),
    [`POST ${path} 403`]: () => call(m(), path, { key: k().read, json }),
    [`POST ${path} 413`]: async () =>
      call(m(), path, {
        body: 'x'.repeat(main.env.config.limits.maxBodyBytes + 1),
        headers: { ...(await basicAuth(main)), 'Content-Type': 'application/json' },
      }),
    [`POST ${path} 415`]: async () =>
      call(m(), path, { body: '<x/>', headers: { ...(await basicAuth(main)), 'Content-Type': 'text/html' } }),
    [`POST ${path} 429`]: async () => {
      // One token per message: the bucket (burst 5, 1/s) is empty within a few requests.
      for (let i = 0; i < 20; i++) {
        const res = await call(limited.runtime.url, path, { json, headers: await basicAuth(limited) });
        if (res.status !== 200) return res;
      }
      throw new Error('never rate limited');
    },
    [`POST ${path} 503`]: async () => call(down.runtime.url, path, { json, headers: await basicAuth(down) }),
  } satisfies Record<string, Recipe>);
}

const documented = Object.entries(
  OPENAPI.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>,
).flatMap(([path, ops]) =>
  Object.entries(ops).flatMap(([method, op]) =>
    Object.keys(op.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
  ),
);

it('has a recipe for every documented route and status, and nothing undocumented', () => {
  expect(Object.keys(RECIPES).sort()).toEqual([...documented].sort());
});

it.each(Object.keys(RECIPES))('%s is real', async (name) => {
  const expected = Number(name.slice(name.lastIndexOf(' ') + 1));
  const res = await RECIPES[name]!();
  expect(res.status).toBe(expected);
  if (expected >= 400)
    expect(res.body).toEqual(expect.objectContaining({ error: expect.objectContaining({ code: expect.any(String) }) }));
});
