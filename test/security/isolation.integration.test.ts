// Tenant and project isolation, generated from HTTP_ROUTES: for every route, every id-bearing parameter and every
// kind of key (scope × project binding), tenant A tries to read, change and page into tenant B's data, and a key
// bound to project X tries project Y of its own tenant. 0 leaks: foreign ids are 403/404 (never 2xx), no response
// carries a foreign id, name, event id or property value the request did not itself contain, and B's data is
// unchanged afterwards. A route added to HTTP_ROUTES without a probe here fails the suite (and the typecheck).
// Cookie sessions of A's owner and of A's viewer (docs/api.md#accounts) go through the same matrix as the keys.
import { randomBytes, randomUUID } from 'node:crypto';
import { useTestEnv, eventually } from '../harness';
import { call, requestSystemErasure, type CallResult } from '../builders';
import { HTTP_ROUTES, type RouteKey } from '../../functions/routes';
import { insertHistory, insertNotifications } from '../../adapters/postgres/alert-store';
import { hashPassword } from '../../core/passwords';

interface Key {
  id: string;
  key: string;
  prefix: string;
}
interface ProjectData {
  slug: string;
  eventIds: string[];
  eventType: string;
  userId: string;
  propValue: string;
  catalogType: string;
  catalogDescription: string;
  ruleId: string;
  ruleName: string;
  webhookSecret: string;
  historyId: string;
  notificationId: string;
  writeKey: Key; // an ingest key bound to this project (a Segment write key)
  erasureJobId: string; // a pending erasure job of this project (of an id never seen: it erases nothing)
  adminKey: Key; // an admin key bound to this project
}
interface Tenant {
  id: string;
  slug: string;
  tag: string;
  admin: string; // the unbound admin key made by the harness
  keys: Record<KeyKind, Key>;
  web: ProjectData;
  other: ProjectData; // a second project, slug unique to the tenant
  dashboardId: string;
  dashboardName: string;
  explorerCursor: string;
  /** Members who sign in: the owner's and the viewer's addresses (password SIGNUP_PASSWORD). */
  ownerEmail: string;
  viewerEmail: string;
  memberIds: string[];
  /** An open invite of the tenant (to inviteEmail). */
  inviteId: string;
  inviteEmail: string;
  /** The tenant's SSO configuration's issuer (a row made directly: the isolation run has no SSO_SECRET_KEY). */
  ssoIssuer: string;
  /** GET /v1/events/export cursors: of every project, and of the project `other` alone. */
  exportCursor: string;
  otherExportCursor: string;
}
type KeyKind = 'ingest' | 'read' | 'admin' | 'all' | 'ingest@web' | 'read@web' | 'admin@web';
const KEY_KINDS: KeyKind[] = ['ingest', 'read', 'admin', 'all', 'ingest@web', 'read@web', 'admin@web'];
/** A signed-in member of A: the session cookie and its CSRF token, sent on every probe. */
interface SessionCred {
  email: string;
  cookie: string;
  csrf: string;
}
type SessionKind = 'owner session' | 'viewer session';
type CredKind = KeyKind | SessionKind;
const CRED_KINDS: CredKind[] = [...KEY_KINDS, 'owner session', 'viewer session'];
const SIGNUP_PASSWORD = 'violet tractor sings';
const sessions = {} as Record<SessionKind, SessionCred>;

const { env, runtime } = useTestEnv('isolation', {
  overrides: {
    RATE_LIMIT_EVENTS_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    PASSWORD_SCRYPT_LOG_N: '14',
    // The matrix signs in with wrong passwords on purpose, many times: never throttled here (tested on its own).
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    LOGIN_THROTTLE_PREFIX: `isolation-${randomBytes(6).toString('hex')}`,
  },
  runtime: { consumers: true },
});
let A: Tenant;
let B: Tenant;
const url = () => runtime.url;

async function ok(res: Promise<CallResult>, status = [200, 201, 202]): Promise<CallResult> {
  const r = await res;
  if (!status.includes(r.status)) throw new Error(`setup call failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

async function apiKey(admin: string, scopes: string[], project?: string): Promise<Key> {
  const r = await ok(call(url(), '/v1/api-keys', { key: admin, json: { scopes, ...(project ? { project } : {}) } }));
  return { id: r.body.id, key: r.body.key, prefix: r.body.prefix };
}

async function seedProject(
  t: { id: string; admin: string; ingest: string },
  slug: string,
  tag: string,
): Promise<ProjectData> {
  const p = `${tag}-${slug.slice(0, 5)}`;
  const eventType = `evt-${p}`;
  const userId = `user-${p}`;
  const propValue = `PROP-${p}`;
  const eventIds = [1, 2, 3].map((i) => `eid-${p}-${i}`);
  await ok(
    call(url(), '/v1/events', {
      key: t.ingest,
      json: {
        events: eventIds.map((event_id) => ({
          event_type: eventType,
          project: slug,
          event_id,
          user_id: userId,
          session_id: `sess-${p}`,
          properties: { marker: propValue, nested: { deep: propValue } },
        })),
      },
    }),
  );
  const catalogType = `cat-${p}`;
  const catalogDescription = `desc-${p}`;
  await ok(
    call(url(), `/v1/catalog/${catalogType}`, {
      method: 'PUT',
      key: t.admin,
      json: { project: slug, description: catalogDescription, properties: { marker: 'string' } },
    }),
  );
  const ruleName = `rule-${p}`;
  const webhookSecret = `whsec_${p}`;
  const rule = await ok(
    call(url(), '/v1/alert-rules', {
      key: t.admin,
      json: {
        name: ruleName,
        project: slug,
        event_type: eventType,
        metric: 'count',
        condition: { op: '>', threshold: 1 },
        window: '5m',
        channels: [{ type: 'webhook', url: `http://127.0.0.1:9/${p}`, secret: webhookSecret }],
      },
    }),
  );
  const ruleId = rule.body.id as string;
  // History with a notification, as the alert engine writes it (the engine itself is tested elsewhere).
  const historyId = randomUUID();
  const notificationId = randomUUID();
  await insertHistory(env.adapters.sql, {
    tenantId: t.id,
    id: historyId,
    ruleId,
    ruleName,
    from: 'ok',
    to: 'firing',
    value: 5,
    threshold: 1,
    windowMs: 300_000,
    groupBy: null,
    groupKey: null,
    atMs: Date.now(),
    notification: 'firing',
    silenced: false,
    error: null,
  });
  await insertNotifications(env.adapters.sql, [
    {
      tenantId: t.id,
      id: notificationId,
      ruleId,
      historyId,
      channel: { type: 'webhook', url: `http://127.0.0.1:9/${p}`, secret: webhookSecret } as never,
      payload: { rule_name: ruleName },
      dueMs: Date.now() + 3_600_000,
    },
  ]);
  return {
    slug,
    eventIds,
    eventType,
    userId,
    propValue,
    catalogType,
    catalogDescription,
    ruleId,
    ruleName,
    webhookSecret,
    historyId,
    notificationId,
    writeKey: await apiKey(t.admin, ['ingest'], slug),
    adminKey: await apiKey(t.admin, ['admin'], slug),
    erasureJobId: await seedErasureJob(t.id, slug, p),
  };
}

async function seedErasureJob(tenantId: string, slug: string, p: string): Promise<string> {
  const project = await env.adapters.projects.bySlug(tenantId, slug);
  const job = await requestSystemErasure(env.adapters, {
    tenantId,
    person: `nobody-${p}`,
    projectIds: [project!.id],
    actor: 'seed',
  });
  return job.id;
}

async function seedTenant(): Promise<Tenant> {
  const base = await env.createTenant();
  const tag = randomBytes(4).toString('hex');
  const admin = base.keys.admin;
  const otherSlug = `other-${tag}`;
  await ok(call(url(), '/v1/projects', { key: admin, json: { slug: otherSlug, name: `name-${tag}` } }));
  const keys: Record<KeyKind, Key> = {
    ingest: await apiKey(admin, ['ingest']),
    read: await apiKey(admin, ['read']),
    admin: await apiKey(admin, ['admin']),
    all: await apiKey(admin, ['ingest', 'read', 'admin']),
    'ingest@web': await apiKey(admin, ['ingest'], 'web'),
    'read@web': await apiKey(admin, ['read'], 'web'),
    'admin@web': await apiKey(admin, ['admin'], 'web'),
  };
  const t = { id: base.id, admin, ingest: base.keys.ingest };
  const web = await seedProject(t, 'web', tag);
  const other = await seedProject(t, otherSlug, tag);
  const dashboardName = `dash-${tag}`;
  const dash = await ok(
    call(url(), '/v1/dashboards', {
      key: admin,
      json: {
        name: dashboardName,
        widgets: [{ type: 'timeseries', title: `title-${tag}`, query: { event_type: web.eventType, project: 'web' } }],
      },
    }),
  );
  // Every event stored (the aggregate consumer writes them) before anyone tries to read them.
  await eventually(
    async () => {
      const r = await call(url(), '/v1/events?limit=100', { key: admin });
      return r.body.events?.length === 6 ? true : undefined;
    },
    60_000,
    250,
  );
  const members: Record<'owner' | 'viewer', string> = { owner: '', viewer: '' };
  const memberIds: string[] = [];
  for (const role of ['owner', 'viewer'] as const) {
    members[role] = `${role}-${tag}@example.com`;
    const { id } = await env.adapters.accounts.createMember({
      tenantId: base.id,
      email: members[role],
      name: null,
      passwordHash: await hashPassword(SIGNUP_PASSWORD, 14),
      role,
      nowMs: Date.now(),
    });
    memberIds.push(id);
  }
  const inviteEmail = `invitee-${tag}@example.com`;
  const invite = await env.adapters.accounts.createInvite(
    {
      tenantId: base.id,
      email: inviteEmail,
      role: 'viewer',
      tokenHash: randomBytes(32),
      invitedBy: 'test',
      nowMs: Date.now(),
      ttlMs: 86_400_000,
    },
    (i) => ({
      tenantId: base.id,
      atMs: Date.now(),
      actor: { kind: 'system', id: 'test' },
      action: 'invite.create',
      target: i.id,
      before: null,
      after: null,
    }),
  );
  const ssoIssuer = `https://idp-${tag}.invalid`;
  await env.adapters.sql`
    insert into sso_configs (tenant_id, issuer, client_id, client_secret_enc, allowed_domains, default_role, enabled,
                             created_at, updated_at)
    values (${base.id}, ${ssoIssuer}, ${`client-${tag}`}, ${Buffer.alloc(40)}, ${[`${tag}.example`]}, 'viewer', true,
            now(), now())`;
  const page = await ok(call(url(), '/v1/events?limit=1', { key: admin }));
  const exported = await ok(call(url(), `/v1/events/export?${exportRange()}&limit=1`, { key: admin }));
  const otherExported = await ok(
    call(url(), `/v1/events/export?${exportRange()}&limit=1&project=${encodeURIComponent(other.slug)}`, { key: admin }),
  );
  return {
    id: base.id,
    slug: base.slug,
    tag,
    admin,
    keys,
    web,
    other,
    dashboardId: dash.body.id,
    dashboardName,
    ownerEmail: members.owner,
    viewerEmail: members.viewer,
    memberIds,
    inviteId: invite.id,
    inviteEmail,
    ssoIssuer,
    explorerCursor: page.body.next_cursor,
    exportCursor: exported.headers.get('x-next-cursor')!,
    otherExportCursor: otherExported.headers.get('x-next-cursor')!,
  };
}

beforeAll(async () => {
  A = await seedTenant();
  B = await seedTenant();
  sessions['owner session'] = await signIn(A.ownerEmail);
  sessions['viewer session'] = await signIn(A.viewerEmail);
}, 180_000);

async function signIn(email: string): Promise<SessionCred> {
  const r = await ok(call(url(), '/v1/auth/login', { json: { email, password: SIGNUP_PASSWORD } }));
  const cookie = r.headers
    .getSetCookie()
    .find((c) => c.startsWith('cs_session='))!
    .split(';')[0]!;
  return { email, cookie, csrf: r.body.csrf_token };
}

/** What must never reach the attacker: a victim project's ids, names, values and secrets. */
function projectMarkers(p: ProjectData): string[] {
  return [
    p.slug === 'web' ? null : p.slug,
    ...p.eventIds,
    p.eventType,
    p.userId,
    p.propValue,
    p.catalogType,
    p.catalogDescription,
    p.ruleId,
    p.ruleName,
    p.webhookSecret,
    p.historyId,
    p.notificationId,
    p.writeKey.id,
    p.writeKey.key,
    p.writeKey.prefix,
    p.adminKey.id,
    p.adminKey.key,
    p.adminKey.prefix,
  ].filter((m): m is string => m !== null);
}
function tenantMarkers(t: Tenant): string[] {
  return [
    t.id,
    t.slug,
    t.tag,
    t.admin,
    t.dashboardId,
    t.dashboardName,
    t.explorerCursor,
    t.ownerEmail,
    t.viewerEmail,
    ...t.memberIds,
    t.inviteId,
    t.inviteEmail,
    t.ssoIssuer,
    ...Object.values(t.keys).flatMap((k) => [k.id, k.key, k.prefix]),
    ...projectMarkers(t.web),
    ...projectMarkers(t.other),
  ];
}

/** A victim: another tenant (everything of B), or another project of the attacker's own tenant. */
interface Victim {
  kind: 'tenant' | 'project';
  tenantId: string;
  projects: ProjectData[]; // the victim's projects (B: web and other; A for an @web key: A.other)
  project: ProjectData; // the one named in project-bearing parameters
  dashboardId: string | null; // dashboards are tenant-wide config (no project): only for a foreign tenant
  ownerEmail: string; // the victim tenant's owner (A's own, for a project victim)
  memberIds: string[]; // the victim tenant's members (none for a project victim: members are tenant-wide)
  inviteIds: string[]; // the victim tenant's open invites (none for a project victim: invites are tenant-wide)
  keyIds: string[];
  cursor: string | null;
  /** A GET /v1/events/export cursor of the victim's data. */
  exportCursor: string;
  markers: string[];
}

interface Probe {
  method: string;
  path: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  /** Names a victim resource directly: must be refused (400/403/404). Otherwise (lists, creates in one's own tenant) it may succeed. */
  targeted: boolean;
}
type ProbeFn = (v: Victim) => Probe[];

const enc = encodeURIComponent;
/** An export range around the seeded events (they are stamped now). */
const exportRange = () => `from=${Date.now() - 2 * 86_400_000}&to=${Date.now() + 86_400_000}`;
const ruleBody = (v: Victim, over: Record<string, unknown> = {}) => ({
  name: 'attacker',
  event_type: v.project.eventType,
  metric: 'count',
  condition: { op: '>', threshold: 1 },
  window: '5m',
  channels: [],
  ...over,
});
const t = (method: string, path: string, extra: Partial<Probe> = {}): Probe => ({
  method,
  path,
  targeted: true,
  ...extra,
});
const l = (method: string, path: string, extra: Partial<Probe> = {}): Probe => ({
  method,
  path,
  targeted: false,
  ...extra,
});
const funnelBody = (v: Victim, over: Record<string, unknown>) => ({
  project: 'web',
  steps: [{ event_type: v.project.eventType }, { event_type: v.project.eventType }],
  from: new Date(Date.now() - 86_400_000).toISOString(),
  to: new Date(Date.now() + 60_000).toISOString(),
  ...over,
});
const b64 = (body: unknown) => Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
const eventsWith = (v: Victim, over: Record<string, unknown>) => ({ event_type: v.project.eventType, ...over });
const projectParams = (v: Victim, path: string, extra = '') => [
  t('GET', `${path}?project=${enc(v.project.slug)}${extra}`),
];

const segment =
  (path: string): ProbeFn =>
  (v) => [
    // A's own key and B's write key together: refused, never counted for either.
    t('POST', path, {
      json: { userId: 'attacker', event: 'x', writeKey: v.project.writeKey.key, context: { project: v.project.slug } },
    }),
    // A's key with B's project and tenant named in the body: at most A's own project receives the event.
    l('POST', path, {
      json: {
        userId: 'attacker',
        event: 'x',
        name: 'x',
        groupId: 'g',
        previousId: 'p',
        projectId: v.project.slug,
        tenant_id: v.tenantId,
        context: { project: v.project.slug, tenant_id: v.tenantId },
      },
    }),
    l('POST', '/v1/batch', {
      json: {
        batch: [{ type: 'track', userId: 'attacker', event: 'x', context: { project: v.project.slug } }],
        context: { tenant_id: v.tenantId },
      },
    }),
  ];

const PROBES: Record<RouteKey, ProbeFn> = {
  'POST /v1/events': (v) => [
    t('POST', '/v1/events', { json: eventsWith(v, { project: v.project.slug }) }),
    t('POST', '/v1/events', {
      json: { events: [eventsWith(v, { project: v.project.slug, event_id: v.project.eventIds[0] })] },
    }),
    ...(v.kind === 'tenant'
      ? [t('POST', '/v1/events', { json: eventsWith(v, { project: 'web', tenant_id: v.tenantId }) })]
      : []),
  ],
  'GET /v1/events': (v) => [
    ...projectParams(v, '/v1/events'),
    l('GET', `/v1/events?event_type=${enc(v.project.eventType)}&user_id=${enc(v.project.userId)}&limit=1000`),
    l('GET', `/v1/events?prop.marker=${enc(v.project.propValue)}`),
    ...(v.cursor
      ? [l('GET', `/v1/events?cursor=${enc(v.cursor)}`), l('GET', `/v1/events?limit=1000&cursor=${enc(v.cursor)}`)]
      : []),
  ],
  'GET /v1/events/export': (v) => [
    t('GET', `/v1/events/export?${exportRange()}&project=${enc(v.project.slug)}`),
    t('GET', `/v1/events/export?${exportRange()}&project=${enc(v.project.slug)}&format=csv`),
    l(
      'GET',
      `/v1/events/export?${exportRange()}&event_type=${enc(v.project.eventType)}&user_id=${enc(v.project.userId)}`,
    ),
    l('GET', `/v1/events/export?${exportRange()}&prop.marker=${enc(v.project.propValue)}&format=csv`),
    // Another tenant's cursor fails its signature (400); another project's, with a bound key, is a 403.
    t('GET', `/v1/events/export?cursor=${enc(v.exportCursor)}`),
  ],
  'GET /v1/metrics': (v) => [
    ...projectParams(v, '/v1/metrics', `&event_type=${enc(v.project.eventType)}`),
    l('GET', `/v1/metrics?event_type=${enc(v.project.eventType)}&interval=10s&from=${Date.now() - 600_000}`),
    l(
      'GET',
      `/v1/metrics?event_type=${enc(v.project.eventType)}&metric=unique_users&prop.marker=${enc(v.project.propValue)}`,
    ),
  ],
  // Funnels: B's project by name is refused; without a name, only A's own persons (B's user id and marker never show).
  'POST /v1/funnels/query': (v) => [
    t('POST', '/v1/funnels/query', { json: funnelBody(v, { project: v.project.slug }) }),
    l('POST', '/v1/funnels/query', { json: funnelBody(v, { breakdown: 'marker' }) }),
  ],
  'POST /v1/funnels/persons': (v) => [
    t('POST', '/v1/funnels/persons', { json: funnelBody(v, { project: v.project.slug, step: 1 }) }),
    l('POST', '/v1/funnels/persons', { json: funnelBody(v, { step: 1, breakdown: 'marker' }) }),
  ],
  'GET /v1/funnels/persons': (v) => [
    t('GET', `/v1/funnels/persons?query=${b64(funnelBody(v, { project: v.project.slug, step: 1 }))}`),
    l('GET', `/v1/funnels/persons?query=${b64(funnelBody(v, { step: 1 }))}`),
  ],
  'GET /v1/status': () => [l('GET', '/v1/status')],
  'GET /v1/users': (v) => [
    ...projectParams(v, '/v1/users'),
    l('GET', `/v1/users?q=${enc(v.project.userId)}`),
    l('GET', `/v1/users?trait.marker=${enc(v.project.propValue)}`),
  ],
  'GET /v1/users/{id}': (v) => [
    ...projectParams(v, `/v1/users/${enc(v.project.userId)}`),
    l('GET', `/v1/users/${enc(v.project.userId)}`),
  ],
  'GET /v1/users/{id}/events': (v) => [
    ...projectParams(v, `/v1/users/${enc(v.project.userId)}/events`),
    l('GET', `/v1/users/${enc(v.project.userId)}/events?limit=1000`),
  ],
  'GET /v1/openapi.json': () => [l('GET', '/v1/openapi.json')],
  'GET /v1/tenant': () => [l('GET', '/v1/tenant')],
  // The key's own tenant only: naming another tenant in the body is refused (strict body), and a change of A's zone
  // never moves B's buckets (checked afterwards).
  'PATCH /v1/tenant': (v) => [
    t('PATCH', '/v1/tenant', { json: { timezone: 'Asia/Kolkata', tenant_id: v.tenantId } }),
    l('PATCH', '/v1/tenant', { json: { timezone: 'Asia/Kathmandu' } }),
  ],
  'GET /v1/projects': () => [l('GET', '/v1/projects')],
  // Project slugs are per tenant: creating one never touches another tenant's (a bound key may not create any).
  'POST /v1/projects': () => [l('POST', '/v1/projects', { json: { slug: `x${randomBytes(4).toString('hex')}` } })],
  'PATCH /v1/projects/{slug}': (v) => [
    t('PATCH', `/v1/projects/${enc(v.project.slug)}`, { json: { name: 'pwned' } }),
    t('PATCH', `/v1/projects/${enc(v.project.slug)}`, { json: { schema_mode: 'strict' } }),
  ],
  'GET /v1/api-keys': () => [l('GET', '/v1/api-keys')],
  'POST /v1/api-keys': (v) => [t('POST', '/v1/api-keys', { json: { scopes: ['read'], project: v.project.slug } })],
  'DELETE /v1/api-keys/{id}': (v) => v.keyIds.map((id) => t('DELETE', `/v1/api-keys/${id}`)),
  'GET /v1/catalog': (v) => [
    ...projectParams(v, '/v1/catalog'),
    l('GET', `/v1/catalog?event_type=${enc(v.project.catalogType)}`),
  ],
  'GET /v1/catalog/violations': (v) => [
    ...projectParams(v, '/v1/catalog/violations'),
    l('GET', '/v1/catalog/violations'),
  ],
  'PUT /v1/catalog/{event_type}': (v) => [
    t('PUT', `/v1/catalog/${enc(v.project.catalogType)}`, { json: { project: v.project.slug, description: 'pwned' } }),
    t('PUT', `/v1/catalog/${enc(v.project.eventType)}`, { json: { project: v.project.slug, status: 'deprecated' } }),
  ],
  'GET /v1/alert-rules': () => [l('GET', '/v1/alert-rules')],
  'POST /v1/alert-rules': (v) => [t('POST', '/v1/alert-rules', { json: ruleBody(v, { project: v.project.slug }) })],
  // Another tenant's project is refused; without a project, a breakdown by the marker property shows only the
  // attacker's own values (a victim's event counted would put its marker in the answer).
  'POST /v1/retention/query': (v) => {
    const body = {
      start_event: v.project.eventType,
      return_event: v.project.eventType,
      period: 'day',
      periods: 2,
      from: new Date(Date.now() - 86_400_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    return [
      t('POST', '/v1/retention/query', { json: { ...body, project: v.project.slug } }),
      l('POST', '/v1/retention/query', { json: { ...body, breakdown: 'marker' } }),
    ];
  },
  'POST /v1/alert-rules/preview': (v) => [
    t('POST', '/v1/alert-rules/preview', {
      json: { rule: ruleBody(v, { project: v.project.slug }), from: new Date(Date.now() - 600_000).toISOString() },
    }),
    // Without a project: the attacker's own data only (the victim's events must not count).
    l('POST', '/v1/alert-rules/preview', {
      json: { rule: ruleBody(v, { name: undefined }), from: new Date(Date.now() - 600_000).toISOString() },
    }),
  ],
  'GET /v1/alert-rules/{id}': (v) => v.projects.map((p) => t('GET', `/v1/alert-rules/${p.ruleId}`)),
  'PUT /v1/alert-rules/{id}': (v) =>
    v.projects.map((p) => t('PUT', `/v1/alert-rules/${p.ruleId}`, { json: ruleBody(v) })),
  'DELETE /v1/alert-rules/{id}': (v) => v.projects.map((p) => t('DELETE', `/v1/alert-rules/${p.ruleId}`)),
  'GET /v1/alerts': (v) => [
    ...v.projects.map((p) => t('GET', `/v1/alerts?rule_id=${p.ruleId}`)),
    ...v.projects.map((p) => l('GET', `/v1/alerts?before=${p.historyId}&limit=200`)),
    l('GET', '/v1/alerts?limit=200'),
  ],
  'GET /v1/dashboards': () => [l('GET', '/v1/dashboards')],
  'POST /v1/dashboards': () => [
    l('POST', '/v1/dashboards', {
      json: { name: 'attacker', widgets: [{ type: 'number', title: 'x', query: { event_type: 'attacker' } }] },
    }),
  ],
  'GET /v1/dashboards/{id}': (v) => (v.dashboardId ? [t('GET', `/v1/dashboards/${v.dashboardId}`)] : []),
  'PUT /v1/dashboards/{id}': (v) =>
    v.dashboardId ? [t('PUT', `/v1/dashboards/${v.dashboardId}`, { json: { name: 'pwned', widgets: [] } })] : [],
  'DELETE /v1/dashboards/{id}': (v) => (v.dashboardId ? [t('DELETE', `/v1/dashboards/${v.dashboardId}`)] : []),
  'DELETE /v1/users/{id}': (v) =>
    v.projects.flatMap((p) => [
      t('DELETE', `/v1/users/${enc(p.userId)}`),
      t('DELETE', `/v1/users/${enc(p.userId)}?project=${enc(p.slug)}`),
    ]),
  'GET /v1/users/{id}/export': (v) =>
    v.projects.flatMap((p) => [
      t('GET', `/v1/users/${enc(p.userId)}/export`),
      t('GET', `/v1/users/${enc(p.userId)}/export?project=${enc(p.slug)}`),
    ]),
  'GET /v1/erasures/{job_id}': (v) => v.projects.map((p) => t('GET', `/v1/erasures/${p.erasureJobId}`)),
  // The audit log is the caller's tenant's only: filters naming B's rules, keys or members find nothing of B's (B's
  // own log holds them all); a project-bound key and a viewer are refused.
  'GET /v1/audit-log': (v) => [
    l('GET', '/v1/audit-log?limit=200'),
    ...v.projects.map((p) => l('GET', `/v1/audit-log?target=${enc(p.ruleId)}`)),
    ...v.keyIds.slice(0, 2).map((id) => l('GET', `/v1/audit-log?actor=${enc(`api_key:${id}`)}&limit=200`)),
    ...v.memberIds.map((id) => l('GET', `/v1/audit-log?actor=${enc(`user:${id}`)}`)),
    l('GET', '/v1/audit-log?action=alert_rule.&limit=200'),
  ],
  // Accounts: a sign-up makes a new tenant of its own (naming the victim changes nothing of the victim's); a sign-in
  // with the victim owner's address and a wrong password is refused like any; the session routes refuse keys and
  // act only on the caller's own session.
  'POST /v1/auth/signup': (v) => [
    l('POST', '/v1/auth/signup', {
      json: {
        email: `x-${randomBytes(5).toString('hex')}@example.com`,
        password: SIGNUP_PASSWORD,
        organization: v.project.slug,
      },
    }),
  ],
  'POST /v1/auth/login': (v) => [
    t('POST', '/v1/auth/login', { json: { email: v.ownerEmail, password: 'not the password at all' } }),
  ],
  'POST /v1/auth/logout': () => [l('POST', '/v1/auth/logout')],
  'POST /v1/auth/password': () => [
    t('POST', '/v1/auth/password', {
      json: { current_password: 'not the password at all', new_password: 'amber kettle hums' },
    }),
  ],
  // Invite and reset links: an unknown token is refused whoever calls; a reset request for the victim's owner answers
  // the same 202 as for anyone (and changes nothing of theirs); an invite is made in the caller's own tenant only.
  'POST /v1/auth/accept-invite': () => [
    t('POST', '/v1/auth/accept-invite', {
      json: { token: randomBytes(32).toString('base64url'), password: SIGNUP_PASSWORD, name: 'x' },
    }),
  ],
  // E-mail verification: an unknown token is refused whoever calls; a resend acts on the caller's own address only.
  'POST /v1/auth/verify-email': () => [
    t('POST', '/v1/auth/verify-email', { json: { token: randomBytes(32).toString('base64url') } }),
  ],
  'POST /v1/auth/verify-email/resend': () => [l('POST', '/v1/auth/verify-email/resend')],
  'POST /v1/auth/forgot': (v) => [l('POST', '/v1/auth/forgot', { json: { email: v.ownerEmail } })],
  'POST /v1/auth/reset': () => [
    t('POST', '/v1/auth/reset', {
      json: { token: randomBytes(32).toString('base64url'), password: 'amber kettle hums' },
    }),
  ],
  // The deployment's sign-in options: the same for everyone, nothing of any tenant.
  'GET /v1/auth/options': () => [l('GET', '/v1/auth/options')],
  'GET /v1/invites': () => [l('GET', '/v1/invites')],
  'POST /v1/invites': (v) => [l('POST', '/v1/invites', { json: { email: v.ownerEmail, role: 'viewer' } })],
  'DELETE /v1/invites/{id}': (v) => v.inviteIds.map((id) => t('DELETE', `/v1/invites/${id}`)),
  // SSO: the caller's own tenant's configuration only (a body naming another tenant is refused); the sign-in routes
  // are public and answer a redirect whoever asks (B's slug starts B's sign-in, which never signs A's caller in).
  'GET /v1/sso': () => [l('GET', '/v1/sso')],
  'PUT /v1/sso': (v) => [
    t('PUT', '/v1/sso', {
      json: {
        issuer: 'https://idp.invalid',
        client_id: 'x',
        client_secret: 'y',
        allowed_domains: ['a.example'],
        default_role: 'viewer',
        tenant_id: v.tenantId,
      },
    }),
  ],
  'DELETE /v1/sso': () => [l('DELETE', '/v1/sso')],
  'GET /v1/auth/sso/start': () => [l('GET', `/v1/auth/sso/start?organization=${enc(B.slug)}`)],
  'GET /v1/auth/sso/callback': () => [
    l('GET', `/v1/auth/sso/callback?state=${randomBytes(32).toString('base64url')}&code=x`),
  ],
  'GET /v1/me': () => [l('GET', '/v1/me')],
  'GET /v1/members': () => [l('GET', '/v1/members')],
  'PATCH /v1/members/{id}': (v) =>
    v.memberIds.map((id) => t('PATCH', `/v1/members/${id}`, { json: { role: 'viewer' } })),
  'DELETE /v1/members/{id}': (v) => v.memberIds.map((id) => t('DELETE', `/v1/members/${id}`)),
  'GET /healthz': () => [l('GET', '/healthz')],
  'GET /readyz': () => [l('GET', '/readyz')],
  'POST /v1/batch': segment('/v1/batch'),
  'POST /v1/track': segment('/v1/track'),
  'POST /v1/identify': segment('/v1/identify'),
  'POST /v1/page': segment('/v1/page'),
  'POST /v1/screen': segment('/v1/screen'),
  'POST /v1/group': segment('/v1/group'),
  'POST /v1/alias': segment('/v1/alias'),
  'POST /v1/t': segment('/v1/t'),
  'POST /v1/p': segment('/v1/p'),
  'POST /v1/i': segment('/v1/i'),
  'POST /v1/s': segment('/v1/s'),
  'POST /v1/g': segment('/v1/g'),
  'POST /v1/a': segment('/v1/a'),
  'POST /v1/b': segment('/v1/b'),
};

const SEGMENT_PATHS = new Set([
  '/v1/batch',
  '/v1/track',
  '/v1/identify',
  '/v1/page',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/t',
  '/v1/p',
  '/v1/i',
  '/v1/s',
  '/v1/g',
  '/v1/a',
  '/v1/b',
]);

function victimTenant(b: Tenant): Victim {
  return {
    kind: 'tenant',
    tenantId: b.id,
    projects: [b.web, b.other],
    project: b.other,
    dashboardId: b.dashboardId,
    ownerEmail: b.ownerEmail,
    memberIds: b.memberIds,
    inviteIds: [b.inviteId],
    keyIds: [...Object.values(b.keys).map((k) => k.id), b.web.writeKey.id, b.other.adminKey.id],
    cursor: b.explorerCursor,
    exportCursor: b.exportCursor,
    markers: tenantMarkers(b),
  };
}
/** For a key bound to A's `web`: A's other project. */
function victimProject(a: Tenant): Victim {
  return {
    kind: 'project',
    tenantId: a.id,
    projects: [a.other],
    project: a.other,
    dashboardId: null,
    ownerEmail: a.ownerEmail,
    memberIds: [],
    inviteIds: [],
    keyIds: [a.other.writeKey.id, a.other.adminKey.id],
    cursor: null,
    exportCursor: a.otherExportCursor,
    markers: projectMarkers(a.other),
  };
}

interface Outcome {
  route: string;
  keyKind: CredKind;
  victim: string;
  probe: Probe;
  status: number;
  leaked: string[];
}
const outcomes: Outcome[] = [];

async function send(probe: Probe, key: Key | SessionCred): Promise<CallResult> {
  const headers: Record<string, string> = { ...probe.headers };
  if ('cookie' in key) {
    // The accounts routes sign in, out or afresh: they get a session of their own, so the shared one lives on.
    const s = probe.path.startsWith('/v1/auth/') ? await signIn(key.email) : key;
    headers.Cookie = s.cookie;
    headers['X-CSRF-Token'] = s.csrf;
    return call(url(), probe.path, {
      method: probe.method,
      headers,
      ...(probe.json !== undefined ? { json: probe.json } : probe.body !== undefined ? { body: probe.body } : {}),
    });
  }
  // The Segment endpoints take the write key as the Basic user name; the others as a Bearer token.
  if (SEGMENT_PATHS.has(probe.path)) headers.Authorization = `Basic ${Buffer.from(`${key.key}:`).toString('base64')}`;
  else headers.Authorization = `Bearer ${key.key}`;
  return call(url(), probe.path, {
    method: probe.method,
    headers,
    ...(probe.json !== undefined ? { json: probe.json } : probe.body !== undefined ? { body: probe.body } : {}),
  });
}

/** Markers in the response that the request did not carry itself (an echo of the caller's own input is no leak). */
function leaks(res: CallResult, probe: Probe, markers: string[]): string[] {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  // GET /v1/funnels/persons carries its body base64url-encoded in `query`.
  const carried = new URL(probe.path, 'http://x').searchParams.get('query');
  const decoded = carried === null ? '' : Buffer.from(carried, 'base64url').toString('utf8');
  const request = `${decodeURIComponent(probe.path)} ${probe.path} ${decoded} ${JSON.stringify(probe.json ?? null)} ${probe.body ?? ''}`;
  return markers.filter((m) => text.includes(m) && !request.includes(m));
}

it('has an isolation probe for every route in HTTP_ROUTES, and none for a route that does not exist', () => {
  expect(Object.keys(PROBES).sort()).toEqual(Object.keys(HTTP_ROUTES).sort());
});

it('the leak detector sees markers where they belong (control: B reading its own data finds them)', async () => {
  const seen = new Set<string>();
  for (const path of [
    '/v1/events?limit=1000',
    '/v1/alert-rules',
    '/v1/alerts',
    '/v1/dashboards',
    '/v1/api-keys',
    '/v1/catalog',
    '/v1/projects',
    '/v1/invites',
    '/v1/sso',
  ]) {
    const res = await call(url(), path, { key: B.admin });
    for (const m of leaks(res, { method: 'GET', path, targeted: false }, tenantMarkers(B))) seen.add(m);
  }
  // Everything but the raw keys (shown once) and the secrets (write-only) and the tenant's own id/slug and cursor.
  const hidden = new Set([
    B.admin,
    B.ownerEmail,
    B.viewerEmail,
    ...B.memberIds,
    B.id,
    B.slug,
    B.explorerCursor,
    ...[...Object.values(B.keys), B.web.writeKey, B.web.adminKey, B.other.writeKey, B.other.adminKey].map((k) => k.key),
    B.web.webhookSecret,
    B.other.webhookSecret,
  ]);
  expect(tenantMarkers(B).filter((m) => !hidden.has(m) && !seen.has(m))).toEqual([]);
  expect([...seen].filter((m) => hidden.has(m) && m !== B.slug)).toEqual([]);
});

describe.each(Object.keys(HTTP_ROUTES) as RouteKey[])('%s', (route) => {
  it("never shows or changes another tenant's data, nor another project's to a project-bound key", async () => {
    const [method, template] = route.split(' ');
    for (const keyKind of CRED_KINDS) {
      const victims: Victim[] = [victimTenant(B)];
      if (keyKind.endsWith('@web')) victims.push(victimProject(A));
      for (const victim of victims) {
        // The Segment endpoints take write keys only (a cookie is never read there): their probes send A's key
        // beside B's write key, which a session has no counterpart of.
        if (keyKind in sessions && SEGMENT_PATHS.has(template!)) continue;
        const probes = PROBES[route](victim);
        for (const probe of probes) {
          const res = await send(
            probe,
            keyKind in sessions ? sessions[keyKind as SessionKind] : A.keys[keyKind as KeyKind],
          );
          const found = leaks(res, probe, victim.markers);
          outcomes.push({ route, keyKind, victim: victim.kind, probe, status: res.status, leaked: found });
          const label = `${keyKind} → ${probe.method} ${probe.path} (victim ${victim.kind}): ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
          expect({ label, leaked: found }).toEqual({ label, leaked: [] });
          expect({ label, server_error: res.status >= 500 }).toEqual({ label, server_error: false });
          if (probe.targeted)
            expect({ label, refused: [400, 401, 403, 404].includes(res.status) }).toEqual({ label, refused: true });
        }
      }
    }
    // Every probe for this route is really about this route (the matrix is generated, not hand-picked).
    void method;
    void template;
  });
});

describe('afterwards', () => {
  it("B's data is unchanged: rules, dashboards, keys, projects, catalog and events", async () => {
    const admin = B.admin;
    for (const p of [B.web, B.other]) {
      const rule = await call(url(), `/v1/alert-rules/${p.ruleId}`, { key: admin });
      expect(rule.status).toBe(200);
      expect(rule.body.name).toBe(p.ruleName);
      const alerts = await call(url(), `/v1/alerts?rule_id=${p.ruleId}`, { key: admin });
      expect(alerts.body.alerts.map((a: { id: string }) => a.id)).toEqual([p.historyId]);
      const cat = await call(url(), `/v1/catalog?project=${enc(p.slug)}&event_type=${enc(p.catalogType)}`, {
        key: admin,
      });
      expect(JSON.stringify(cat.body)).toContain(p.catalogDescription);
      expect(JSON.stringify(cat.body)).not.toContain('pwned');
      // The write key still works (was not revoked by anyone else).
      const seg = await call(url(), '/v1/track', {
        json: { userId: 'u', event: 'still-alive' },
        headers: { Authorization: `Basic ${Buffer.from(`${p.writeKey.key}:`).toString('base64')}` },
      });
      expect(seg.status).toBe(200);
    }
    const bMembers = await call(url(), '/v1/members', { key: admin });
    expect(bMembers.body.members.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual(
      [
        [B.ownerEmail, 'owner'],
        [B.viewerEmail, 'viewer'],
      ].sort(),
    );
    const bSso = await env.adapters.sql`select issuer from sso_configs where tenant_id = ${B.id}`;
    expect(bSso.map((r) => r.issuer)).toEqual([B.ssoIssuer]);
    const bInvites = await call(url(), '/v1/invites', { key: admin });
    expect(bInvites.body.invites.map((i: { id: string }) => i.id)).toEqual([B.inviteId]);
    // B's members still sign in with their own password (nobody changed it or locked them out).
    for (const email of [B.ownerEmail, B.viewerEmail])
      expect((await call(url(), '/v1/auth/login', { json: { email, password: SIGNUP_PASSWORD } })).status).toBe(200);
    const tenant = await call(url(), '/v1/tenant', { key: admin });
    expect([tenant.body.timezone, tenant.body.rebucketing]).toEqual(['UTC', null]);
    const dash = await call(url(), `/v1/dashboards/${B.dashboardId}`, { key: admin });
    expect(dash.status).toBe(200);
    expect(dash.body.name).toBe(B.dashboardName);
    for (const k of Object.values(B.keys))
      expect((await call(url(), '/v1/projects', { key: k.key })).status).not.toBe(401);
    const projects = await call(url(), '/v1/projects', { key: admin });
    expect(projects.body.projects.map((p: { name: string }) => p.name)).not.toContain('pwned');
    expect(projects.body.projects.find((p: { slug: string }) => p.slug === B.other.slug).schema_mode).toBe('open');
    // A reuses B's event ids in its own project: stored for A, never deduplicated against (or merged into) B's.
    const reuse = await call(url(), '/v1/events', {
      key: A.admin,
      json: {
        events: B.other.eventIds.map((event_id) => ({
          event_type: 'reused',
          project: 'web',
          event_id,
          properties: { marker: 'A-copy' },
        })),
      },
    });
    expect(reuse.status).toBe(202);
    expect(reuse.body.accepted).toBe(3);
    // A's own writes (B's event ids, B's project named in bodies) are processed; then B still has exactly its own events.
    const sentinel = `sentinel-${randomBytes(4).toString('hex')}`;
    await call(url(), '/v1/events', { key: A.admin, json: { event_type: sentinel, project: 'web' } });
    await eventually(
      async () =>
        (await call(url(), `/v1/events?event_type=${sentinel}`, { key: A.admin })).body.events?.length === 1
          ? true
          : undefined,
      30_000,
      250,
    );
    const bEvents = await call(url(), '/v1/events?limit=1000', { key: admin });
    const own = new Set([...B.web.eventIds, ...B.other.eventIds]);
    const foreign = bEvents.body.events.filter(
      (e: { event_id: string; event_type: string }) => !own.has(e.event_id) && e.event_type !== 'still-alive',
    );
    expect(foreign).toEqual([]);
    expect(bEvents.body.events.filter((x: { event_id: string }) => own.has(x.event_id))).toHaveLength(6);
    for (const e of bEvents.body.events.filter((x: { event_id: string }) => own.has(x.event_id)))
      expect(JSON.stringify(e.properties)).toContain('PROP-');
    const aCopies = await call(url(), '/v1/events?event_type=reused', { key: A.admin });
    expect(aCopies.body.events.map((e: { event_id: string }) => e.event_id).sort()).toEqual(
      [...B.other.eventIds].sort(),
    );
  });

  it('sent the whole matrix', () => {
    const routes = new Set(outcomes.map((o) => o.route));
    // Every route was probed (dashboards by id have no same-tenant victim, but do have the foreign one).
    expect([...routes].sort()).toEqual(Object.keys(HTTP_ROUTES).sort());
    const byStatus: Record<number, number> = {};
    for (const o of outcomes) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    // eslint-disable-next-line no-console
    console.log(
      `isolation: ${outcomes.length} requests over ${routes.size} routes × ${CRED_KINDS.length} key and session kinds; leaks ${outcomes.filter((o) => o.leaked.length > 0).length}; statuses ${JSON.stringify(byStatus)}`,
    );
    expect(outcomes.filter((o) => o.leaked.length > 0)).toEqual([]);
  });
});
