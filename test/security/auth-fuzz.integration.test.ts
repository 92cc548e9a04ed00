// Accounts and sessions under attack, as properties over the real local HTTP stack (docs/api.md#accounts, #members,
// #roles; docs/security.md): any body to the account routes, any Cookie header, any CSRF token, any role on any
// mutating route of the route tables, unknown e-mails at sign-in; every answer is checked against invariants (never a
// 5xx, never authenticated by a cookie that names no live session, CSRF before anything changes, roles on the server,
// tenants apart, sign-in revealing nothing) and no secret of any of it reaches the logs.
import './debug-logs'; // first: the logger is created at DEBUG, so even debug lines are searched for secrets
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestEnv, type TestTenant } from '../harness';
import { call, type CallResult } from '../builders';
import { captureOutput } from '../capture-output';
import { rawRequest, type RawResponse } from './raw-http';
import { hashPassword, PASSWORD_MAX_LENGTH } from '../../core/passwords';
import type { Role } from '../../core/accounts';
import type { Adapters } from '../../adapters';
import { QUERY_ROUTES } from '../../functions/query/handler';
import { INGEST_ROUTES } from '../../functions/ingest/handler';
import { sessionRoleOf, type KeyedRoute, type Route } from '../../functions/http/router';

const PASSWORD = 'quartz lantern drifts';
let deps: Adapters;
const { env, runtime } = useTestEnv('authfuzz', {
  overrides: {
    PASSWORD_SCRYPT_LOG_N: '14',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
    LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
    LOGIN_THROTTLE_PREFIX: `lt-${randomBytes(6).toString('hex')}`,
  },
  runtime: { consumers: false },
  adapters: (env) => {
    // The accounts store, with methods that can be made to fail once (a 500 logged with the request's context).
    const accounts = new Proxy(env.adapters.accounts, {
      get(target, name, receiver) {
        const v: unknown = Reflect.get(target, name, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (failNext.delete(String(name))) throw new Error(`${String(name)} failed (test)`);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return (deps = { ...env.adapters, accounts });
  },
});
/** Methods of the accounts store whose next call throws. */
const failNext = new Set<string>();
const url = () => runtime.url;
const port = () => Number(new URL(runtime.url).port);

// Everything secret this file sends or receives; none of it may appear in a log line.
const secrets = new Set<string>([PASSWORD]);
const lines: string[] = [];
let stopCapture: (() => void) | undefined;
beforeAll(() => {
  stopCapture = captureOutput((line) => lines.push(line));
});
afterAll(() => stopCapture?.());

interface Session {
  id: string; // the cookie's value
  cookie: string; // cs_session=<id>
  csrf: string;
  userId: string;
  tenantId: string;
}

/** Records and returns the session a sign-up, sign-in or password change answered with. */
function sessionOf(res: CallResult): Session {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('cs_session='));
  if (!set) throw new Error(`no session cookie: ${res.status} ${JSON.stringify(res.body)}`);
  const cookie = set.split(';')[0]!;
  const s = {
    id: cookie.slice('cs_session='.length),
    cookie,
    csrf: res.body.csrf_token as string,
    userId: res.body.user.id as string,
    tenantId: res.body.tenant.id as string,
  };
  secrets.add(s.id);
  secrets.add(s.csrf);
  return s;
}

/** Sends cookie-request headers: the cookie, and the CSRF token unless told otherwise. */
const as = (s: Session, csrf: string | null = s.csrf) => ({
  Cookie: s.cookie,
  ...(csrf !== null ? { 'X-CSRF-Token': csrf } : {}),
});
const email = () => `af-${randomBytes(6).toString('hex')}@example.com`;

async function signUp(): Promise<Session & { email: string }> {
  const address = email();
  const res = await call(url(), '/v1/auth/signup', {
    json: { email: address, password: PASSWORD, organization: `Fuzz ${randomBytes(3).toString('hex')}` },
  });
  expect(res.status).toBe(201);
  return { ...sessionOf(res), email: address };
}

async function logIn(address: string, password = PASSWORD): Promise<CallResult> {
  return call(url(), '/v1/auth/login', { json: { email: address, password } });
}

/** A member of the tenant with this role, signed in. */
async function member(tenantId: string, role: Role): Promise<Session & { email: string }> {
  const address = email();
  await deps.accounts.createMember({
    tenantId,
    email: address,
    name: null,
    passwordHash: await hashPassword(PASSWORD, 14),
    role,
    nowMs: Date.now(),
  });
  const res = await logIn(address);
  expect(res.status).toBe(200);
  return { ...sessionOf(res), email: address };
}

/** Never a 5xx (nor a dropped connection); a 4xx is the error envelope with a code and a message. */
function expectNo5xx(res: { status: number; body: unknown }, what: string): void {
  if (res.status >= 500 || res.status === 0) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  if (res.status >= 400 && res.status !== 431) {
    const body = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as {
      error?: { code?: unknown; message?: unknown };
    };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
  }
}

// ── The world: tenant A (owner, admin, editor, viewer), tenant B (owner), a revoked session, an admin key of A ──

let ownerA: Session & { email: string };
let adminA: Session;
let editorA: Session;
let viewerA: Session;
let ownerB: Session & { email: string };
let revoked: Session;
let keyA: string;
let dashboardA: string;

beforeAll(async () => {
  ownerA = await signUp();
  ownerB = await signUp();
  adminA = await member(ownerA.tenantId, 'admin');
  editorA = await member(ownerA.tenantId, 'editor');
  viewerA = await member(ownerA.tenantId, 'viewer');
  revoked = sessionOf(await logIn(ownerA.email));
  expect((await call(url(), '/v1/auth/logout', { method: 'POST', headers: as(revoked) })).status).toBe(200);
  keyA = await env.createKey({ id: ownerA.tenantId } as TestTenant, ['admin']);
  secrets.add(keyA);
  const d = await call(url(), '/v1/dashboards', { json: { name: 'A only', widgets: [] }, headers: as(ownerA) });
  expect(d.status).toBe(201);
  dashboardA = d.body.id;
});

// ── Bodies ──

const LIMITS = [200, 254, 4 * PASSWORD_MAX_LENGTH];
/** Texts that hit the edges: all of Unicode (lone surrogates, U+0000), and lengths at and just past every limit. */
const nastyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff', 'a\u0000b', '\u{1f600}', '\ufeff', 'a@b', '@', 'x@y.z'),
  fc
    .tuple(
      fc.constantFrom(...LIMITS),
      fc.integer({ min: -1, max: 1 }),
      fc.constantFrom('a', 'é', '\u{1f600}', '\ud800'),
    )
    .map(([n, d, c]) => c.repeat(n + d)),
  fc.constantFrom(...LIMITS).map((n) => `${'a'.repeat(n - 12)}@example.com`),
);
const nastyValue = fc.oneof(
  { weight: 4, arbitrary: nastyText },
  fc.constantFrom(null, true, 0, -1, 1e308, [], {}, ['x'], { a: 1 }),
);

/** The password the current-password field stands for: replaced by the changer's password when sent. */
const CURRENT = '<current password>';
/** Values a field accepts (so that a body with one nasty field reaches that field's checks), all of Unicode in them. */
const validValue: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(
    fc.constant(null).map(() => email()),
    fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
      .map((l) => `${l}.${randomBytes(3).toString('hex')}@example.com`),
    fc.constant(null).map(() => `ÜÑÏ-${randomBytes(3).toString('hex')}@bücher.example`),
  ),
  password: fc
    .string({ unit: 'grapheme', minLength: 12, maxLength: 40 })
    .map((p) => `${p} ${randomBytes(3).toString('hex')}`),
  new_password: fc
    .string({ unit: 'grapheme', minLength: 12, maxLength: 40 })
    .map((p) => `${p} ${randomBytes(3).toString('hex')}`),
  current_password: fc.constant(CURRENT),
  organization: fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    fc.constantFrom('株式会社', '🙂🙂', '---', 'Acme', ' x ', 'a'.repeat(200)),
  ),
  name: fc.string({ unit: 'grapheme', maxLength: 40 }),
  role: fc.constantFrom('viewer', 'editor', 'admin', 'owner'),
};

/** A body for a route whose fields are `fields`: all valid; valid or nasty values, some missing; extra or no fields. */
const bodyOf = (fields: string[]) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.record(Object.fromEntries(fields.map((f) => [f, validValue[f] ?? nastyValue]))) },
    {
      weight: 6,
      arbitrary: fc.record(
        Object.fromEntries(
          fields.map((f) => [f, fc.oneof({ weight: 2, arbitrary: validValue[f] ?? nastyValue }, nastyValue)]),
        ),
        { requiredKeys: [] },
      ),
    },
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), nastyValue, { maxKeys: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  );

interface RawBody {
  body: string | Buffer;
  type?: string;
  encoding?: string;
}
/** Bodies no JSON encoder makes: duplicate keys, escapes of lone surrogates and NUL, bad UTF-8, sizes, types. */
const rawBodyOf = (fields: string[]): fc.Arbitrary<RawBody> =>
  fc.oneof(
    fc.constantFrom(...fields).map((f) => ({ body: `{"${f}":"a","${f}":"b"}` })),
    fc.constantFrom(...fields).map((f) => ({ body: `{"${f}":"\\ud800x","x":"\\u0000"}` })),
    fc.constantFrom(...fields).map((f) => ({ body: `{"${f}":"${'y'.repeat(16 * 1024)}"}` })),
    fc.integer({ min: -2, max: 1 }).map((d) => ({ body: `{"p":"${'z'.repeat(16 * 1024 - 8 + d)}"}` })),
    fc.constant({ body: Buffer.alloc(2 * 1024 * 1024, 0x20) }),
    fc.constant({ body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }),
    fc.constant({ body: Buffer.from([0x1f, 0x8b, 0x00]), encoding: 'gzip' }),
    fc.constant({ body: '{"a":1}', encoding: 'br' }),
    fc.constantFrom(
      { body: '', type: 'application/json' },
      { body: '{', type: 'application/json' },
      { body: '[]', type: 'application/json' },
      { body: 'null', type: 'application/json' },
      { body: '{"email":"x@y.io"}', type: 'text/plain' },
      { body: 'email=x%40y.io&password=p', type: 'application/x-www-form-urlencoded' },
      { body: '{"email":"x@y.io"}', type: 'application/json; charset=latin1' },
      { body: '{"email":"x@y.io"}', type: 'multipart/form-data; boundary=x' },
      { body: '{"email":"x@y.io"}' },
    ),
  );

async function send(path: string, method: string, headers: Record<string, string>, b: RawBody): Promise<CallResult> {
  return call(url(), path, {
    method,
    body: b.body,
    headers: {
      ...headers,
      ...(b.type !== undefined ? { 'Content-Type': b.type } : {}),
      ...(b.encoding ? { 'Content-Encoding': b.encoding } : {}),
    },
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Records passwords in a body that are distinctive enough to search the logs for. */
function rememberPasswords(body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  for (const [k, v] of Object.entries(body))
    if (/password/.test(k) && typeof v === 'string' && v.length >= 12 && /[\w]{6}/.test(v)) secrets.add(v);
}

describe('account routes take any body without a 5xx', () => {
  // The password change and members routes need a session of their own (a wrong current password would throttle).
  let changer: Session;
  let changerPassword = PASSWORD;
  let target: string;
  const outcomes = new Set<string>();
  beforeAll(async () => {
    const s = await signUp();
    changer = s;
    target = (await member(s.tenantId, 'viewer')).userId;
  });
  const routes = () => [
    { path: '/v1/auth/signup', method: 'POST', fields: ['email', 'password', 'organization', 'name'], headers: {} },
    { path: '/v1/auth/login', method: 'POST', fields: ['email', 'password'], headers: {} },
    {
      path: '/v1/auth/password',
      method: 'POST',
      fields: ['current_password', 'new_password'],
      headers: as(changer),
    },
    { path: `/v1/members/${target}`, method: 'PATCH', fields: ['role'], headers: as(changer) },
  ];

  it('JSON bodies of any shape, with all of Unicode and values at and past every limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }).chain((i) => fc.tuple(fc.constant(i), bodyOf(routes()[i]!.fields))),
        async ([i, body]) => {
          const r = routes()[i]!;
          const sent =
            isRecord(body) && body.current_password === CURRENT ? { ...body, current_password: changerPassword } : body;
          rememberPasswords(sent);
          const res = await call(url(), r.path, { method: r.method, json: sent, headers: r.headers });
          expectNo5xx(res, `${r.method} ${r.path} ${JSON.stringify(sent).slice(0, 300)}`);
          outcomes.add(`${r.path.replace(target, '{id}')} ${res.status}`);
          if (r.path === '/v1/auth/password' && res.status === 200) {
            // Changed: every session of the changer ended; this answer holds the new one.
            changer = sessionOf(res);
            changerPassword = (body as { new_password: string }).new_password;
          }
          // The member's role may change to a valid one; nothing else in this tenant may.
          if (r.path.startsWith('/v1/members') && res.status === 200) expect(res.body.id).toBe(target);
        },
      ),
      {
        numRuns: 80,
        // Whatever the generator draws, a plain valid sign-up and role change are among the bodies sent.
        examples: [
          [[0, { email: email(), password: 'a plain valid passphrase', organization: 'Example', name: 'Ex' }]],
          [[3, { role: 'editor' }]],
        ],
      },
    );
    // The valid values reached past parsing: accounts were made, a password and a role changed.
    expect([...outcomes].filter((o) => / 20\d$/.test(o)).sort()).toEqual(
      expect.arrayContaining(['/v1/auth/signup 201', '/v1/members/{id} 200']),
    );
  });

  it('raw bodies: duplicate keys, escaped lone surrogates and NUL, bad UTF-8, huge, wrong types and encodings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }).chain((i) => fc.tuple(fc.constant(i), rawBodyOf(routes()[i]!.fields))),
        async ([i, b]) => {
          const r = routes()[i]!;
          const res = await send(r.path, r.method, r.headers, { type: 'application/json', ...b });
          expectNo5xx(res, `${r.method} ${r.path} ${String(b.body).slice(0, 200)} ${b.type} ${b.encoding}`);
          expect(res.status).toBeGreaterThanOrEqual(400);
        },
      ),
      { numRuns: 40 },
    );
    // The session survived all of it.
    expect((await call(url(), '/v1/me', { headers: as(changer, null) })).status).toBe(200);
  });

  it('GET /v1/me and POST /v1/auth/logout ignore any body they are sent', async () => {
    const s = sessionOf(await logIn(ownerA.email));
    await fc.assert(
      fc.asyncProperty(rawBodyOf(['x']), async (b) => {
        const res = await send('/v1/me', 'POST', as(s), b); // no such route: 404, never 5xx
        expectNo5xx(res, 'POST /v1/me');
      }),
      { numRuns: 10 },
    );
    const out = await send('/v1/auth/logout', 'POST', as(s), { body: '{"x":"\\ud800","x":1}' });
    expect(out.status).toBe(200);
  });
});

// ── Cookies ──

/** One piece of a Cookie header, and the cs_session value it carries for a server that reads it (null: none). */
interface CookiePiece {
  text: string;
  session: string | null;
}
const randomId = () => randomBytes(32).toString('base64url');

/** Cookie pieces that name no live session: revoked, random, another name, malformed, oversized, odd bytes. */
const deadPiece = (): fc.Arbitrary<CookiePiece> =>
  fc.oneof(
    fc.constant(null).map(() => ({ text: revoked.cookie, session: revoked.id })),
    fc.constant(null).map(() => {
      const id = randomId();
      return { text: `cs_session=${id}`, session: id };
    }),
    fc
      .constantFrom('cs_session=', 'cs_session', '=', ';', 'cs_session=;', 'cs_session==', '"cs_session"=x')
      .map((text) => ({ text, session: text === 'cs_session==' ? '=' : null })),
    fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((v) => ({
      text: `cs_session=${v.replace(/[;\r\n]/g, '')}`,
      session: v.replace(/[;\r\n]/g, '').trim() || null,
    })),
    fc.constant(null).map(() => ({ text: `CS_SESSION=${ownerA.id}`, session: null })),
    fc.constant(null).map(() => ({ text: `cs_session_x=${ownerA.id}`, session: null })),
    fc.constant(null).map(() => ({ text: `cs_session=${ownerA.id}x`, session: `${ownerA.id}x` })),
    fc.constant(null).map(() => ({ text: `cs_session=${ownerA.id.slice(1)}`, session: ownerA.id.slice(1) })),
    fc.constant(null).map(() => ({ text: `cs_session="${ownerA.id}"`, session: `"${ownerA.id}"` })),
    fc.integer({ min: 1, max: 12_000 }).map((n) => ({ text: `cs_session=${'A'.repeat(n)}`, session: 'A'.repeat(n) })),
    fc.constantFrom('a=b', 'theme=dark', 'x', '\u00ff\u00fe=\u00e9', 'cs_sessionx=1').map((text) => ({
      text,
      session: null,
    })),
  );
/** A live session's cookie: A's owner (tenant A) or B's owner (tenant B). */
const livePiece = (): fc.Arbitrary<CookiePiece & { tenant: string }> =>
  fc
    .tuple(
      fc.constantFrom('A', 'B'),
      fc.constantFrom('cs_session=', 'cs_session =', 'cs_session= ', ' cs_session\t=\t'),
    )
    .map(([t, name]) => {
      // Whitespace around the name or the value: the session reader trims both, so every route must read it alike.
      const s = t === 'A' ? ownerA : ownerB;
      return { text: `${name}${s.id}`, session: s.id, tenant: s.tenantId };
    });

/** Joins pieces into one or several Cookie headers, with odd separators. */
const cookieHeaders = (pieces: fc.Arbitrary<CookiePiece[]>) =>
  fc
    .tuple(pieces, fc.constantFrom('; ', ';', ' ; ', ';;'), fc.boolean())
    .map(([ps, sep, split]) =>
      split && ps.length > 1
        ? ps.map((p): [string, string] => ['Cookie', p.text])
        : [['Cookie', ps.map((p) => p.text).join(sep)] as [string, string]],
    );

const PROBES: [string, string][] = [
  ['GET', '/v1/me'],
  ['GET', '/v1/projects'],
  ['GET', '/v1/members'],
  ['POST', '/v1/dashboards'],
];

async function probe(method: string, path: string, headers: [string, string][]): Promise<RawResponse> {
  const body = method === 'POST' ? Buffer.from(JSON.stringify({ name: 'cookie probe', widgets: [] })) : undefined;
  return rawRequest(port(), {
    method,
    target: path,
    headers: [
      ...headers,
      ...(body
        ? ([
            ['Content-Type', 'application/json'],
            ['Content-Length', String(body.length)],
          ] as const)
        : []),
      ['X-CSRF-Token', ownerA.csrf],
    ] as [string, string][],
    body,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const bodyJson = (r: RawResponse): Record<string, any> => {
  try {
    return JSON.parse(r.body);
  } catch {
    return {};
  }
};

describe('cookies', () => {
  it('a Cookie header that names no live session never authenticates and never fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROBES),
        cookieHeaders(fc.array(deadPiece(), { minLength: 1, maxLength: 4 })),
        async ([method, path], headers) => {
          const res = await probe(method, path, headers);
          expectNo5xx({ status: res.status, body: res.body }, `${method} ${path} ${JSON.stringify(headers)}`);
          expect([400, 401, 431]).toContain(res.status);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('with a live cookie among others: that session exactly when it is the only cs_session value, else refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROBES.filter(([m]) => m === 'GET')),
        fc.tuple(livePiece(), fc.array(deadPiece(), { maxLength: 3 }), fc.nat()).map(([live, dead, at]) => ({
          live,
          pieces: [...dead.slice(0, at % (dead.length + 1)), live, ...dead.slice(at % (dead.length + 1))],
        })),
        fc.boolean(),
        async ([method, path], { live, pieces }, split) => {
          const values = new Set(pieces.map((p) => p.session).filter((v) => v !== null));
          const headers: [string, string][] = split
            ? pieces.map((p) => ['Cookie', p.text])
            : [['Cookie', pieces.map((p) => p.text).join('; ')]];
          const res = await probe(method, path, headers);
          expectNo5xx({ status: res.status, body: res.body }, `${method} ${path} ${JSON.stringify(headers)}`);
          if (values.size === 1 && res.status !== 431) {
            // /v1/members needs admin: both owners are.
            expect(res.status).toBe(200);
            if (path === '/v1/me') expect(bodyJson(res).tenant.id).toBe(live.tenant);
          } else {
            expect([400, 401, 431]).toContain(res.status);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a key beside a cookie: the key alone decides, whatever the cookie, on every kind of route', async () => {
    const byKey = await call(url(), '/v1/projects', { key: keyA });
    expect(byKey.status).toBe(200);
    const badKey = await call(url(), '/v1/projects', { key: `cs_${'Q'.repeat(40)}` });
    expect(badKey.status).toBe(401);
    await fc.assert(
      fc.asyncProperty(fc.oneof(livePiece(), deadPiece()), fc.boolean(), async (piece, goodKey) => {
        const res = await call(url(), '/v1/projects', {
          key: goodKey ? keyA : `cs_${'Q'.repeat(40)}`,
          headers: { Cookie: piece.text },
        });
        expect({ status: res.status, body: res.body.projects ?? res.body.error.code }).toEqual({
          status: goodKey ? 200 : 401,
          body: goodKey ? byKey.body.projects : badKey.body.error.code,
        });
        // A key needs no CSRF token, cookie or not.
        const post = await call(url(), '/v1/dashboards', {
          key: keyA,
          json: { name: 'by key', widgets: [] },
          headers: { Cookie: piece.text },
        });
        expect(post.status).toBe(201);
        // Session routes take no key: with one, they are 401 whatever cookie (and token) comes beside it.
        for (const [method, path] of [
          ['GET', '/v1/me'],
          ['POST', '/v1/auth/password'],
        ]) {
          const mine = await call(url(), path!, {
            method,
            key: goodKey ? keyA : `cs_${'Q'.repeat(40)}`,
            headers: { Cookie: piece.text, 'X-CSRF-Token': ownerA.csrf },
            ...(method === 'POST' ? { json: {} } : {}),
          });
          expect([path, mine.status, mine.body.error?.code]).toEqual([path, 401, 'unauthorized']);
        }
      }),
      { numRuns: 15 },
    );
  });
});

// ── CSRF and roles over the route tables ──

const ALL_ROUTES = { ...QUERY_ROUTES, ...INGEST_ROUTES } as Record<string, Route>;
/** Every route that may change something: not GET, not public, not a read-scoped query sent as POST. */
const MUTATING = Object.entries(ALL_ROUTES)
  .filter(([k, r]) => !k.startsWith('GET ') && r.auth !== 'public')
  .map(([k]) => k);
const CHANGING = MUTATING.filter((k) => ALL_ROUTES[k]!.auth !== 'read' && ALL_ROUTES[k]!.auth !== 'session');

function pathOf(routeKey: string): { method: string; path: string } {
  const [method, template] = routeKey.split(' ') as [string, string];
  const path = template
    .replace('{slug}', 'default')
    .replace('{event_type}', 'fuzz_event')
    .replace(/\{(id|job_id)\}/, randomUUID());
  return { method, path };
}

describe('CSRF', () => {
  it('every non-GET keyed route: a cookie with no, a wrong or another session’s token is 403 before anything', async () => {
    const other = sessionOf(await logIn(ownerA.email)); // the same user, another session
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ...MUTATING.filter((k) => ALL_ROUTES[k]!.auth !== 'ingest' && !(ALL_ROUTES[k] as KeyedRoute).credential),
        ),
        fc.oneof(
          fc.constant(null),
          fc.constantFrom('', ' ', 'x', ownerB.csrf, `${ownerA.csrf} `.repeat(2), ownerA.csrf.toLowerCase()),
          fc.constant(null).map(() => other.csrf),
          fc.constant(null).map(() => `${ownerA.csrf},${ownerA.csrf}`),
          fc.string({ unit: 'grapheme-ascii', maxLength: 50 }),
        ),
        async (routeKey, token) => {
          if (token === ownerA.csrf) return;
          const { method, path } = pathOf(routeKey);
          const res = await call(url(), path, { method, json: {}, headers: as(ownerA, token) });
          expect({ route: routeKey, status: res.status, code: res.body.error?.code }).toEqual({
            route: routeKey,
            status: 403,
            code: 'csrf_token_invalid',
          });
        },
      ),
      { numRuns: 50 },
    );
    expect((await call(url(), '/v1/me', { headers: as(ownerA, null) })).status).toBe(200); // logout never ran
  });

  it('with the right token, no route refuses for CSRF; with a key, none asks for a token', async () => {
    const s = sessionOf(await logIn(ownerA.email));
    for (const routeKey of MUTATING) {
      const route = ALL_ROUTES[routeKey]!;
      if (routeKey === 'POST /v1/auth/logout') continue; // below, last
      const { method, path } = pathOf(routeKey);
      // An empty object: every route refuses it (or finds nothing), so nothing changes.
      const res = await call(url(), path, { method, json: {}, headers: as(s) });
      expectNo5xx(res, routeKey);
      expect([routeKey, res.body.error?.code]).not.toEqual([routeKey, 'csrf_token_invalid']);
      if (route.auth === 'session') continue;
      const keyed = await call(url(), path, { method, json: {}, key: keyA, headers: { Cookie: s.cookie } });
      expectNo5xx(keyed, routeKey);
      expect([routeKey, keyed.body.error?.code]).not.toEqual([routeKey, 'csrf_token_invalid']);
    }
    const out = await call(url(), '/v1/auth/logout', { method: 'POST', headers: as(s) });
    expect(out.status).toBe(200);
  });
});

/** What an owner sees of tenant A: every list a change would show in. */
async function snapshotA(): Promise<unknown[]> {
  const paths = ['/v1/tenant', '/v1/projects', '/v1/api-keys', '/v1/catalog', '/v1/alert-rules', '/v1/dashboards'];
  const out: unknown[] = [];
  for (const p of [...paths, '/v1/members']) {
    const r = await call(url(), p, { key: keyA });
    expect(r.status).toBe(200);
    // Key use (last_used_at) is recorded in the background: not a change anyone made.
    out.push(JSON.parse(JSON.stringify(r.body, (k, v: unknown) => (k === 'last_used_at' ? undefined : v))));
  }
  return out;
}

/** A plausible body per changing route, so a refusal is the role's and not the body's. */
function plausibleBody(routeKey: string): unknown {
  if (routeKey.includes('dashboards')) return { name: 'role probe', widgets: [] };
  if (routeKey.includes('catalog')) return { project: 'default', description: 'role probe' };
  if (routeKey.includes('api-keys')) return { scopes: ['read'] };
  if (routeKey.includes('tenant')) return { timezone: 'Europe/Paris' };
  if (routeKey.includes('projects')) return { slug: `p${randomBytes(3).toString('hex')}`, name: 'x' };
  if (routeKey.includes('members')) return { role: 'viewer' };
  if (routeKey.includes('alert-rules'))
    return { name: 'r', project: 'default', event_type: 'x', condition: { op: 'gt', threshold: 1 }, window: '5m' };
  return { event_type: 'x', project: 'default', type: 'track', event: 'x', userId: 'u' };
}

describe('roles', () => {
  it('a viewer changes nothing on any route; an editor reaches no admin route (every route of the tables)', async () => {
    const before = await snapshotA();
    const seen: unknown[] = [];
    const expected: unknown[] = [];
    for (const routeKey of CHANGING) {
      for (const role of ['viewer', 'editor'] as const) {
        const route = ALL_ROUTES[routeKey]!;
        const need = route.auth === 'public' || route.auth === 'session' ? undefined : sessionRoleOf(route);
        if (role === 'editor' && need === 'editor') continue; // an editor may
        // Real targets where there are some: were the role not checked, the change would show in the snapshot.
        const id = routeKey.includes('members') ? ownerA.userId : routeKey.includes('dashboards') ? dashboardA : '{id}';
        const { method, path } = pathOf(routeKey.replace('{id}', id));
        const res = await call(url(), path, {
          method,
          json: plausibleBody(routeKey),
          headers: as(role === 'viewer' ? viewerA : editorA),
        });
        seen.push({ routeKey, role, status: res.status, code: res.body.error?.code });
        // Keys-only routes (ingest) are 401 for any cookie; every other is 403 naming the role.
        expected.push({
          routeKey,
          role,
          status: need === undefined ? 401 : 403,
          code: need === undefined ? 'unauthorized' : 'forbidden',
        });
      }
    }
    expect(seen).toEqual(expected);
    expect(seen.length).toBeGreaterThan(20);
    expect(await snapshotA()).toEqual(before);
  });

  it('tenant B’s session never sees or touches tenant A’s data', async () => {
    const ids = { dashboard: dashboardA, member: viewerA.userId, owner: ownerA.userId };
    const tries: [string, string, unknown?][] = [
      ['GET', `/v1/dashboards/${ids.dashboard}`],
      ['PUT', `/v1/dashboards/${ids.dashboard}`, { name: 'stolen', widgets: [] }],
      ['DELETE', `/v1/dashboards/${ids.dashboard}`],
      ['PATCH', `/v1/members/${ids.member}`, { role: 'admin' }],
      ['DELETE', `/v1/members/${ids.owner}`],
    ];
    for (const [method, path, json] of tries) {
      const res = await call(url(), path, { method, headers: as(ownerB), ...(json ? { json } : {}) });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    const members = await call(url(), '/v1/members', { headers: as(ownerB, null) });
    expect(members.body.members.map((m: { id: string }) => m.id)).toEqual([ownerB.userId]);
    // And the other way: A's admin finds no member of B.
    const fromA = await call(url(), `/v1/members/${ownerB.userId}`, {
      method: 'PATCH',
      json: { role: 'viewer' },
      headers: as(adminA),
    });
    expect(fromA.status).toBe(404);
    const dashboards = await call(url(), '/v1/dashboards', { headers: as(ownerB, null) });
    expect(JSON.stringify(dashboards.body)).not.toContain(dashboardA);
    const me = await call(url(), '/v1/me', { headers: as(ownerB, null) });
    expect(me.body.tenant.id).toBe(ownerB.tenantId);
    expect((await call(url(), `/v1/dashboards/${dashboardA}`, { headers: as(ownerA, null) })).status).toBe(200);
  });
});

// ── Sign-in reveals nothing ──

describe('sign-in', () => {
  it('answers an unknown e-mail exactly like a known one with a wrong password', async () => {
    const known = [ownerA.email, ownerB.email, (await signUp()).email];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...known),
        fc.boolean(),
        fc.string({ unit: 'binary', minLength: 0, maxLength: 30 }),
        async (address, upper, password) => {
          if (password === PASSWORD) return;
          const unknown = email();
          rememberPasswords({ password });
          const strip = (r: CallResult) => ({
            status: r.status,
            error: r.body.error,
            cookies: r.headers.getSetCookie(),
          });
          const a = await logIn(upper ? address.toUpperCase() : address, password);
          const b = await logIn(upper ? unknown.toUpperCase() : unknown, password);
          expect(strip(b)).toEqual(strip(a));
          expect(a.status).toBeGreaterThanOrEqual(400);
          expect(a.status).toBeLessThan(500);
        },
      ),
      { numRuns: 15 },
    );
  });
});

// Last: everything above ran at LOG_LEVEL DEBUG; failures inside then log with each request's context.
describe('logs', () => {
  it('wrote no password, cookie value, session id, CSRF token or key to any log line, even when a request fails', async () => {
    const s = sessionOf(await logIn(ownerA.email));
    const failing: [string, () => Promise<CallResult>][] = [
      ['findSession', () => call(url(), '/v1/me', { headers: as(s) })],
      ['findSession', () => call(url(), '/v1/dashboards', { json: {}, headers: as(s) })],
      ['findUserByEmail', () => logIn(ownerA.email)],
      ['createSession', () => logIn(ownerA.email)],
      [
        'createAccount',
        () => call(url(), '/v1/auth/signup', { json: { email: email(), password: PASSWORD, organization: 'F' } }),
      ],
      [
        'setPassword',
        () =>
          call(url(), '/v1/auth/password', {
            json: { current_password: PASSWORD, new_password: `${PASSWORD}!` },
            headers: as(s),
          }),
      ],
    ];
    for (const [method, request] of failing) {
      failNext.add(method);
      expect([method, (await request()).status]).toEqual([method, 500]);
      expect(failNext.has(method)).toBe(false);
    }
    expect(lines.filter((l) => l.includes('unhandled error')).length).toBe(failing.length);
    const leaks = lines.filter((l) => [...secrets].some((s) => l.includes(s)));
    expect(leaks).toEqual([]);
  });
});
