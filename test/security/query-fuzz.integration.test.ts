// Query-parameter fuzz over every GET route of HTTP_ROUTES (docs/api.md#query-strings), on raw sockets against the real
// local runtime: generated names and values from all of Unicode (lone surrogates, noncharacters, control characters,
// NUL), huge numbers, extreme dates, malformed and forged cursors, repeated parameters, malformed percent-encoding
// and raw (unencoded) bytes in the request line. Invariants: never a 5xx; every 4xx is the JSON error envelope with
// a code, a message and the request id, which the X-Request-Id header repeats. And the converse: well-formed values
// (any Unicode text without U+0000) in filters and ids are answered 200.
import fc from 'fast-check';
import { useTestEnv } from '../harness';
import { call, mskBatch, rawEvent } from '../builders';
import { createAggregateHandler } from '../../functions/aggregate/handler';
import { HTTP_ROUTES, type RouteKey } from '../../functions/routes';
import { pool, rawRequest, type RawResponse } from './raw-http';

const RUNS = Number(process.env.QUERY_FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.QUERY_FUZZ_SEED ?? 20261205);
const CONCURRENCY = 8;

const GET_ROUTES = (Object.keys(HTTP_ROUTES) as RouteKey[]).filter((r) => r.startsWith('GET '));

const { env, runtime, tenant } = useTestEnv('queryfuzz', {
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', LOG_LEVEL: 'ERROR' },
  tenants: 1,
  runtime: { consumers: false },
});
let key: string;
let boundKey: string;
let ids: { rule: string; dashboard: string };
let realCursor: string;

beforeAll(async () => {
  key = await env.createKey(tenant, ['read', 'admin']);
  boundKey = await env.createKey(tenant, ['read'], tenant.project.id);
  const rule = await call(runtime.url, '/v1/alert-rules', {
    key,
    json: {
      name: 'r',
      project: 'web',
      event_type: 'signup',
      metric: 'count',
      condition: { op: '>', threshold: 1 },
      window: '5m',
      channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/h', secret: 's' }],
    },
  });
  const dash = await call(runtime.url, '/v1/dashboards', {
    key,
    json: { name: 'd', widgets: [{ type: 'events', title: 't', query: { range: '1h' } }] },
  });
  ids = { rule: rule.body.id, dashboard: dash.body.id };
  const now = Date.now();
  await createAggregateHandler(env.adapters)(
    mskBatch(
      env.config.kafka.topics.eventsRaw,
      Array.from({ length: 30 }, (_, i) =>
        rawEvent(tenant, {
          eventType: 'signup',
          userId: `u${i}`,
          timestampMs: now - i * 60_000,
          properties: { plan: i % 2 ? 'pro' : 'free', n: i / 10 },
        }),
      ),
    ),
  );
  const page = await call(runtime.url, '/v1/events?limit=2', { key });
  realCursor = page.body.next_cursor;
  expect(typeof realCursor).toBe('string');
}, 120_000);

// ---- encoding ---------------------------------------------------------------------------------------------

/** Percent-encodes UTF-16 as a client would: pairs as UTF-8, a lone surrogate as its 3-byte (WTF-8) form. */
function percentEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (cp >= 0xd800 && cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (cp < 0x80 && /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(cp))) {
      out += String.fromCharCode(cp);
      continue;
    }
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

const forge = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
const ISO = '2026-11-27T10:00:00.000Z';

// ---- generators -------------------------------------------------------------------------------------------

const NAMES = [
  'project',
  'event_type',
  'metric',
  'interval',
  'from',
  'to',
  'compare',
  'format',
  'breakdown',
  'limit',
  'cursor',
  'user_id',
  'session_id',
  'rule_id',
  'status',
  'before',
  'prop.plan',
  'prop.n',
  'prop.a.b',
  'prop.',
  'prop..x',
  'prop.a\u0000b',
];
const HUGE_NUMBERS = [
  '1e999',
  '-1e999',
  '9'.repeat(400),
  '-' + '9'.repeat(400),
  '0.' + '0'.repeat(400) + '1',
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  '1_000',
  '1e308',
  '4294967296',
  '9007199254740993',
  '-9007199254740993',
];
const EXTREME_DATES = [
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '275760-09-13',
  '+010000-01-01',
  '-000001-01-01',
  '0000-01-01',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01',
  '8640000000000000',
  '-8640000000000000',
  '8640000000000001',
  '-62135596800001',
  '253402300800000',
  '2026-02-30',
  '2026-11-27T25:00:00Z',
  '2026-11-27T10:00:00+99:00',
  '2026-11-27T10:00:00.123456789Z',
  '2026-11-27 10:00',
  'yesterday',
];
const CURSORS = () => [
  forge([1, ISO, '+275760-09-13T00:00:00.000Z', 'e']),
  forge([1, ISO, '-271821-04-20T00:00:00.000Z', 'e']),
  forge([1, '0000-01-01T00:00:00Z', ISO, 'e']),
  forge([1, ISO, ISO, 'a\u0000b']),
  forge([1, ISO, ISO, '\ud800']),
  forge([1, ISO, ISO, 'x'.repeat(5000)]),
  forge([1, ISO, ISO, 7]),
  forge([1, ISO, 'Tue Nov 27 2026', 'e']),
  forge([2, ISO, ISO, 'e']),
  forge({}),
  forge('x'),
  realCursor,
  realCursor.slice(0, -3),
  realCursor + 'A',
  realCursor.replace(/^./, (c) => (c === 'W' ? 'X' : 'W')),
  '!!!',
  '=',
  '',
];
const CONTROL = fc.string({
  unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 4,
});

/** A decoded value (percent-encoded when sent). */
const valueArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'signup',
      'web',
      'pro',
      'free',
      '0.10',
      '0.1',
      '3',
      '50',
      'u1',
      'sum:n',
      'avg:n',
      'count',
      '1h',
      '5m',
      'previous',
      'csv',
      'json',
      ISO,
      '2026-12-01T00:00:00Z',
      String(Date.now() - 3_600_000),
      'CURSOR:11',
    ),
  },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) }, // all of Unicode, lone surrogates included
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }), CONTROL, fc.string({ maxLength: 6 }))
      .map(([a, c, b]) => a + c + b),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000',
      '\uFFFF',
      '\uFFFE',
      '\uFDD0',
      '\u{10FFFF}',
      '\u202E',
      '\uFEFF',
      '\u00A0',
      'x'.repeat(5_000),
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...HUGE_NUMBERS) },
  { weight: 3, arbitrary: fc.constantFrom(...EXTREME_DATES) },
  { weight: 2, arbitrary: fc.nat().map((i) => `CURSOR:${i}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'count',
      'unique_users',
      'sum:n',
      'avg:n',
      'sum:a\u0000b',
      'avg:' + 'a.'.repeat(10) + 'a',
      'p95:n',
      'p50:a.b',
      'p99:',
      'p42:n',
      'sum:',
      'sum:.',
      'plan',
      'a.b',
      'a..b',
      '.',
      '$other',
      'a.'.repeat(7) + 'a',
      '0',
      '100',
      '101',
      '-1',
      '1.5',
      '007',
      '10s',
      '1m',
      '1d',
      '2h',
      'web',
      'signup',
      '0',
      '1',
      '1000',
      '1001',
      'pro',
      '0.10',
    ),
  },
);

/** Malformed percent-encoding, sent as is. */
const RAW_FRAGMENTS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%FF',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%00',
  'a%00b',
  '%%',
  '%2',
  '+%2B+',
  '%F0%9F%98',
];

type Part = { name: string; value: string } | { raw: string };
const partArb: fc.Arbitrary<Part> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      name: fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...NAMES) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
      ),
      value: valueArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...NAMES), fc.constantFrom(...RAW_FRAGMENTS))
      .map(([n, f]) => ({ raw: `${n}=${f}` })),
  },
);

/** Unencoded bytes in the request line: controls (no CR/LF), DEL, and everything above ASCII. */
const RAW_BYTE = fc.oneof(
  fc.integer({ min: 0x00, max: 0x08 }),
  fc.integer({ min: 0x0b, max: 0x0c }),
  fc.integer({ min: 0x0e, max: 0x1f }),
  fc.constant(0x7f),
  fc.integer({ min: 0x80, max: 0xff }),
);

const caseArb = fc.record({
  route: fc.constantFrom(...GET_ROUTES),
  id: fc.oneof(
    { weight: 4, arbitrary: fc.constant('real') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%00',
        '%ED%A0%80',
        '%',
        'x'.repeat(300),
        '00000000-0000-4000-8000-000000000000',
        '%FF',
      ),
    },
  ),
  parts: fc.array(partArb, { minLength: 1, maxLength: 4 }),
  repeat: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  rawBytes: fc.oneof(
    { weight: 11, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.array(RAW_BYTE, { minLength: 1, maxLength: 4 }) },
  ),
  bound: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
});

function target(route: RouteKey, id: string, query: string): string {
  const template = route.split(' ')[1]!;
  const real = route.includes('alert-rules') ? ids.rule : ids.dashboard;
  return `${template.replace(/\{[a-z_]+\}/, id === 'real' ? real : id)}${query ? `?${query}` : ''}`;
}

const pick = <T>(xs: T[], i: number): T => xs[i % xs.length]!;

function queryOf(route: RouteKey, parts: Part[], repeat: boolean): string {
  const pairs = parts.map((p) =>
    'raw' in p
      ? p.raw
      : `${percentEncode(p.name)}=${percentEncode(p.value.startsWith('CURSOR:') ? pick(CURSORS(), Number(p.value.slice(7))) : p.value)}`,
  );
  if (repeat && pairs.length > 0) pairs.push(pairs[0]!);
  // /v1/metrics needs an event type: give one (unless a part gives it) so the other parameters get parsed too.
  if (route === 'GET /v1/metrics' && !parts.some((p) => 'name' in p && p.name === 'event_type'))
    pairs.unshift('event_type=signup');
  return pairs.join('&');
}

/** The invariants of one answer; returns what is wrong, or undefined. */
function problem(res: RawResponse): string | undefined {
  if (res.status === 0) return 'no answer';
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400) return undefined;
  let body: { error?: { code?: unknown; message?: unknown }; request_id?: unknown };
  try {
    body = JSON.parse(res.body);
  } catch {
    return `status ${res.status} without a JSON body`;
  }
  if (
    typeof body.error?.code !== 'string' ||
    typeof body.error?.message !== 'string' ||
    (body.error.message as string).length < 10
  )
    return `status ${res.status} without error code/message`;
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return `status ${res.status} not labelled JSON`;
  const requestId = res.headers['x-request-id'];
  if (!requestId) return `status ${res.status} without X-Request-Id`;
  if (body.request_id !== requestId)
    return `status ${res.status}: body request_id ${String(body.request_id)} differs from X-Request-Id ${requestId}`;
  if (/\n\s+at .+:\d+:\d+/.test(res.body)) return 'stack trace in the body';
  return undefined;
}

async function get(path: string, k = key): Promise<RawResponse> {
  return rawRequest(runtime.port, { method: 'GET', target: path, headers: [['Authorization', `Bearer ${k}`]] });
}

describe('query-parameter fuzz over every GET route', () => {
  it('answers the reported cases with a clear 400', async () => {
    const cases: [string, string][] = [
      ...['user_id', 'session_id', 'event_type', 'prop.plan', 'prop.a%00b', 'project', 'from', 'limit'].map(
        (n): [string, string] => [`/v1/events?${n}=a%00b`, 'invalid_parameter'],
      ),
      ...['event_type', 'metric', 'interval', 'prop.plan', 'prop.a%00b', 'project'].map((n): [string, string] => [
        n === 'event_type'
          ? '/v1/metrics?event_type=a%00b'
          : `/v1/metrics?event_type=signup&${n}=${n === 'metric' ? 'sum:a%00b' : 'a%00b'}`,
        'invalid_parameter',
      ]),
      ['/v1/metrics?event_type=signup&metric=avg:a.%00', 'invalid_parameter'],
      ...[
        'breakdown=a%00b',
        'breakdown=',
        'breakdown=a..b',
        'breakdown=.',
        `breakdown=${'a.'.repeat(7)}a`,
        `breakdown=${'x'.repeat(1_001)}`,
        'breakdown=plan&limit=0',
        'breakdown=plan&limit=101',
        'breakdown=plan&limit=-1',
        'breakdown=plan&limit=1e2',
        'breakdown=plan&limit=1.5',
        'breakdown=plan&limit=',
        'breakdown=plan&limit=%EF%BC%95',
        'breakdown=plan&breakdown=n',
        'limit=5',
      ].map((q): [string, string] => [`/v1/metrics?event_type=signup&${q}`, 'invalid_parameter']),
      [`/v1/events?cursor=${forge([1, ISO, '+275760-09-13T00:00:00.000Z', 'e'])}`, 'invalid_cursor'],
      [`/v1/events?cursor=${forge([1, ISO, ISO, 'a\u0000b'])}`, 'invalid_cursor'],
      ['/v1/metrics?event_type=a&event_type=b', 'invalid_parameter'],
      ['/v1/metrics?event_type=a&from=-8640000000000000', 'invalid_parameter'],
      ['/v1/events?from=-8640000000000000', 'invalid_parameter'],
      ['/v1/events?to=%2B010000-01-01', 'invalid_parameter'],
      ['/v1/events?user_id=%E0%A4%A', 'invalid_parameter'],
      ['/v1/events?user_id=%ED%A0%80', 'invalid_parameter'],
      ['/v1/events?limit=1&limit=2', 'invalid_parameter'],
      ['/v1/dashboards/%', 'invalid_url'],
      ['/v1/alert-rules/%ED%A0%80', 'invalid_url'],
    ];
    for (const [path, code] of cases) {
      const res = await get(path);
      expect({ path, status: res.status, problem: problem(res) }).toEqual({ path, status: 400, problem: undefined });
      expect({ path, code: JSON.parse(res.body).error.code }).toEqual({ path, code });
    }
    // Raw non-ASCII and control bytes in the request line: node's parser refuses them; still the envelope.
    for (const bytes of [[0xc3, 0xa9], [0xff], [0x01], [0x7f]]) {
      const res = await get(`/v1/events?user_id=${Buffer.from(bytes).toString('latin1')}`);
      expect({ bytes, status: res.status, problem: problem(res) }).toEqual({ bytes, status: 400, problem: undefined });
    }
    // Not a path at all.
    const absurd = await rawRequest(runtime.port, { method: 'GET', target: 'http://[', headers: [] });
    expect({ status: absurd.status, problem: problem(absurd) }).toEqual({ status: 400, problem: undefined });
  });

  it(`answers ${RUNS} generated queries with no 5xx, every 4xx the JSON envelope with its request id`, async () => {
    const cases = fc.sample(caseArb, { numRuns: RUNS, seed: SEED });
    // Every GET route is in the generated traffic.
    expect([...new Set(cases.map((c) => c.route))].sort()).toEqual([...GET_ROUTES].sort());
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    const messages = new Map<string, number>();
    await pool(cases, CONCURRENCY, async (c) => {
      let t = target(c.route, c.id, queryOf(c.route, c.parts, c.repeat));
      if (c.rawBytes) {
        const at = Math.max(t.indexOf('?'), 1);
        t = t.slice(0, at + 1) + Buffer.from(c.rawBytes).toString('latin1') + t.slice(at + 1);
      }
      const res = await get(t, c.bound ? boundKey : key);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (process.env.QUERY_FUZZ_DEBUG && res.status === 400)
        messages.set(res.body.slice(20, 90), (messages.get(res.body.slice(20, 90)) ?? 0) + 1);
      const p = problem(res);
      if (p) failures.push(`${c.route} ${JSON.stringify(t.slice(0, 200))}: ${p}: ${res.body.slice(0, 200)}`);
    });
    process.stdout.write(
      `query fuzz: ${cases.length} requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}\n`,
    );
    if (process.env.QUERY_FUZZ_DEBUG)
      process.stdout.write(`${JSON.stringify([...messages].sort((a, b) => b[1] - a[1]).slice(0, 15), null, 1)}\n`);
    expect(failures.slice(0, 20)).toEqual([]);
  }, 300_000);

  it('answers well-formed values (any Unicode text without U+0000) in filters, ids and types with 200', async () => {
    const wellFormed = fc
      .string({ unit: 'binary', maxLength: 20 })
      .map((s) =>
        s
          .replaceAll('\u0000', '')
          .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, ''),
      );
    const key1 = wellFormed.map((s) => s.replace(/\./g, '')).filter((s) => s.length > 0);
    await fc.assert(
      fc.asyncProperty(
        wellFormed.filter((s) => s.length > 0),
        key1,
        wellFormed,
        wellFormed,
        fc.constantFrom('count', 'unique_users', 'sum:n', 'avg:n'),
        async (type, propKey, value, user, metric) => {
          const metrics = await get(
            `/v1/metrics?event_type=${percentEncode(type)}&metric=${metric}&prop.${percentEncode(propKey)}=${percentEncode(value)}`,
          );
          // A breakdown by any well-formed property name, from raw events (filters) or not.
          const split = await get(
            `/v1/metrics?event_type=${percentEncode(type)}&metric=${metric}&breakdown=${percentEncode(propKey)}&limit=${1 + (value.length % 100)}`,
          );
          expect({ status: split.status, body: split.body.slice(0, 200) }).toEqual({
            status: 200,
            body: expect.any(String),
          });
          expect({ status: metrics.status, body: metrics.body.slice(0, 200) }).toEqual({
            status: 200,
            body: expect.any(String),
          });
          const events = await get(
            `/v1/events?event_type=${percentEncode(type)}&user_id=${percentEncode(user)}&prop.${percentEncode(propKey)}=${percentEncode(value)}`,
          );
          expect({ status: events.status, body: events.body.slice(0, 200) }).toEqual({
            status: 200,
            body: expect.any(String),
          });
        },
      ),
      { numRuns: 150, seed: SEED },
    );
  }, 300_000);
});
