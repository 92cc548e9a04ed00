// Ack ⇒ stored (docs/architecture.md#rule-1-ack-means-durable), property-based, against the running stack: strings from
// all of Unicode (lone surrogates, noncharacters, NUL, bidi and zero-width characters, combining marks) in every field,
// key and nesting level of POST /v1/events and of the Segment endpoints (properties, traits, context), extreme numbers
// and dates, 1 to 1000 events per batch, several tenants at once. Invariants:
// - never a 5xx; every refused event has a message;
// - every event answered as accepted is in the raw store exactly once, as sent (keys and event type in NFC),
//   and counted exactly once in the metrics (the rollups the metrics read);
// - every event that is valid by construction is accepted, whatever the other tenants send meanwhile.
// (Batches stay under ~200 KB: bodies at the size limits are the Kafka sizing suite's.)
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { useTestEnv, eventually, type TestTenant } from '../../test/harness';
import { call } from '../../test/builders';
import { rollupTotalsByType, storedEvents } from '../../test/reads';

const { env, runtime, tenants } = useTestEnv('ackstored', {
  overrides: {
    RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
    RATE_LIMIT_BURST: '10000000',
    CATALOG_MAX_PROPERTIES: '100000',
    CATALOG_MAX_EVENT_TYPES: '1000000',
  },
  tenants: 3,
  runtime: true,
});
interface Sender {
  tenant: TestTenant;
  writeKey: string;
}
let senders: Sender[];

beforeAll(async () => {
  senders = [];
  for (const tenant of tenants)
    senders.push({ tenant, writeKey: await env.createKey(tenant, ['ingest'], tenant.project.id) });
});

// ---- strings over the whole of Unicode -------------------------------------------------------------------
const SPECIALS = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ufffe',
  '\uffff',
  '\ufdd0',
  '\ufdef',
  '\u{1fffe}',
  '\u{10ffff}',
  '\u{10fffe}',
  '\u202e',
  '\u202a',
  '\u2066',
  '\u2069',
  '\u200e',
  '\u061c',
  '\u200b',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u3164',
  '\u00a0',
  '\u3000',
  '\u0301',
  'e\u0301',
  '\u00e9',
  '\u1e9b\u0323',
  '\u0007',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '😀',
  '❤\ufe0f',
  '👩\u200d💻',
  '\t',
  '\n',
  ' ',
  '"',
  '\\',
  '$',
  '.',
  '%00',
  '\\u0000',
];
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff })
  .map((cp) => (cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp)));
const unit = fc.oneof(
  { arbitrary: fc.constantFrom(...SPECIALS), weight: 3 },
  { arbitrary: anyCodePoint, weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 4 },
);
const anyString = fc.string({ unit, maxLength: 10 });

// What the test itself calls valid (independent of the implementation's regexes where it can be).
// The documented rule for names: no control, surrogate or separator characters, no format (Cf) or other
// default-ignorable characters (variation selectors excepted), no spaces but U+0020.
const NOT_IN_NAMES =
  /(?![\ufe00-\ufe0f\u{e0100}-\u{e01ef}])[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Cf}\p{Default_Ignorable_Code_Point}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
const cleanString = anyString.map((s) => s.replace(/\p{Cs}/gu, '').replaceAll('\u0000', '')); // storable, any other character
const cleanName = fc
  .string({ unit, minLength: 1, maxLength: 16 })
  .map((s) =>
    s
      .normalize('NFC')
      .replace(new RegExp(NOT_IN_NAMES.source, 'gu'), '')
      .replace(/^[\s$]+|\s+$/gu, ''),
  )
  .filter((s) => s.length > 0 && s === s.normalize('NFC'));

const HUGE = '\u{F0000}HUGE\u{F0001}'; // replaced by the literal 1e400 in the body text (JSON.parse makes it Infinity)
const extremeNumber = fc.constantFrom(
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -0,
  0.1,
  1e21,
  2 ** 53 + 1,
  -1e-300,
);
const jsonLeaf = (str: fc.Arbitrary<string>, numbers: boolean) =>
  fc.oneof(
    str,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    extremeNumber,
    fc.boolean(),
    fc.constant(null),
    ...(numbers ? [fc.constant(HUGE)] : []),
  );
const jsonValue = (key: fc.Arbitrary<string>, str: fc.Arbitrary<string>, hostile: boolean) =>
  fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf(str, hostile), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  })).value;
/** An object nested at most `levels` levels (the object itself is level 1). */
const objectOf = (
  topKey: fc.Arbitrary<string>,
  key: fc.Arbitrary<string>,
  str: fc.Arbitrary<string>,
  hostile: boolean,
) => fc.dictionary(topKey, jsonValue(key, str, hostile), { maxKeys: 4 }).filter((o) => depth(o) <= 4);
function depth(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depth));
}

const NOW = Date.now();
const today = new Date(NOW).toISOString().slice(0, 10);
const validTime = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: NOW - 86_400_000, max: NOW }),
  fc.integer({ min: NOW - 86_400_000, max: NOW }).map((ms) => new Date(ms).toISOString()),
  fc.constant(today),
);
const hostileTime = fc.oneof(
  validTime,
  fc.constantFrom(
    8.64e15,
    -8.64e15,
    1e300,
    '+275760-09-13T00:00:00Z',
    '0000-01-01',
    '2026-02-30',
    '9999-12-31T23:59:59.999999999Z',
    `${today}T24:00:00Z`,
    1_764_237_600,
  ),
);

let serial = 0;
const uniq = () => `-${process.pid}-${serial++}`;

/** One event of POST /v1/events: `valid` when it must be accepted. */
const cleanEvent = fc.record({
  event_type: cleanName,
  user_id: fc.option(
    cleanString.filter((s) => s.length > 0 && !NOT_IN_NAMES.test(s)),
    { nil: undefined },
  ),
  timestamp: validTime,
  properties: objectOf(
    cleanName,
    cleanString.map((s) => s.normalize('NFC')),
    cleanString,
    false,
  ),
});
const hostileEvent = fc.record({
  event_type: fc.oneof(anyString, cleanName),
  user_id: fc.option(anyString, { nil: undefined }),
  session_id: fc.option(anyString, { nil: undefined }),
  timestamp: hostileTime,
  properties: objectOf(anyString, anyString, anyString, true),
  eventIdText: anyString,
});
type Item = { valid: boolean; event: Record<string, unknown> };
const eventItem: fc.Arbitrary<Item> = fc.oneof(
  cleanEvent.map((e) => ({ valid: true, event: { ...e, project: 'web', event_id: `ok${uniq()}` } })),
  hostileEvent.map(({ eventIdText, ...e }) => ({
    valid: false,
    event: { ...e, project: 'web', event_id: `${eventIdText}${uniq()}` },
  })),
);

/** One Segment message: the event type, properties and context it must be stored with when accepted. */
const segmentItem: fc.Arbitrary<Item> = fc.oneof(
  fc
    .record({
      call: fc.constantFrom('track', 'identify', 'page'),
      name: cleanName,
      data: objectOf(
        cleanName,
        cleanString.map((s) => s.normalize('NFC')),
        cleanString,
        false,
      ),
      context: objectOf(
        cleanName,
        cleanString.map((s) => s.normalize('NFC')),
        cleanString,
        false,
      ),
      userId: cleanName,
    })
    .map((m) => ({ valid: true, event: segmentMessage(m) })),
  fc
    .record({
      call: fc.constantFrom('track', 'identify', 'page'),
      name: fc.oneof(anyString, cleanName),
      data: objectOf(anyString, anyString, anyString, true),
      context: objectOf(anyString, anyString, anyString, true),
      userId: fc.oneof(anyString, cleanName),
    })
    .map((m) => ({ valid: false, event: segmentMessage(m) })),
);
function segmentMessage(m: {
  call: string;
  name: string;
  data: Record<string, unknown>;
  context: Record<string, unknown>;
  userId: string;
}): Record<string, unknown> {
  const base = {
    type: m.call,
    userId: m.userId,
    messageId: `seg${uniq()}`,
    context: m.context,
    timestamp: new Date(NOW).toISOString(),
  };
  if (m.call === 'track') return { ...base, event: m.name, properties: m.data };
  if (m.call === 'identify') return { ...base, traits: m.data };
  return { ...base, properties: m.data }; // page: no name, so the properties are stored as sent
}

const batchSize = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 12 }), weight: 6 },
  { arbitrary: fc.integer({ min: 13, max: 1000 }), weight: 1 },
);
interface Req {
  segment: boolean;
  gzip: boolean;
  size: number;
  seed: [Item, Item][];
}
const request: fc.Arbitrary<Req> = fc.record({
  segment: fc.boolean(),
  gzip: fc.boolean(),
  size: batchSize,
  seed: fc.array(fc.tuple(eventItem, segmentItem), { minLength: 1, maxLength: 12 }),
});

// ---- expectations ------------------------------------------------------------------------------------------
const nfcKeys = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(nfcKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, c]) => [k.normalize('NFC'), nfcKeys(c)]));
};
/** What Postgres gives back for a value sent as JSON: -0 is 0, numbers through their JSON text. */
const asStored = (v: unknown) => JSON.parse(JSON.stringify(nfcKeys(v)));

interface Expected {
  tenantId: string;
  eventId: string;
  eventType: string;
  properties: unknown;
  context: unknown;
}

function expectationOf(tenantId: string, segment: boolean, sent: Record<string, unknown>, eventId: string): Expected {
  if (!segment)
    return {
      tenantId,
      eventId,
      eventType: String(sent.event_type).normalize('NFC'),
      properties: asStored(sent.properties ?? {}),
      context: null,
    };
  const type =
    sent.type === 'track' ? String(sent.event).normalize('NFC') : sent.type === 'identify' ? '$identify' : '$page';
  const data = sent.type === 'identify' ? sent.traits : sent.properties;
  const context = sent.context as Record<string, unknown>;
  return {
    tenantId,
    eventId,
    eventType: type,
    properties: asStored(data ?? {}),
    context: Object.keys(context).length > 0 ? asStored(context) : null,
  };
}

async function send(sender: Sender, req: Req): Promise<Expected[]> {
  const items: Item[] = Array.from({ length: req.size }, (_, i) => req.seed[i % req.seed.length]![req.segment ? 1 : 0]);
  // Fresh ids for the repeated seeds: every event of the batch is its own.
  let bodyItems = items.map((it) => ({
    ...it,
    event: req.segment
      ? { ...it.event, messageId: `seg${uniq()}` }
      : { ...it.event, event_id: `${String(it.event.event_id)}${uniq()}` },
  }));
  const render = () => {
    const body = req.segment ? { batch: bodyItems.map((i) => i.event) } : { events: bodyItems.map((i) => i.event) };
    return JSON.stringify(body).split(JSON.stringify(HUGE)).join('1e400');
  };
  let text = render();
  while (Buffer.byteLength(text) > 200 * 1024 && bodyItems.length > 1) {
    bodyItems = bodyItems.slice(0, Math.ceil(bodyItems.length / 2));
    text = render();
  }
  const headers: Record<string, string> = req.segment
    ? {
        Authorization: `Basic ${Buffer.from(`${sender.writeKey}:`).toString('base64')}`,
        'Content-Type': req.gzip ? 'application/octet-stream' : 'text/plain',
      }
    : { Authorization: `Bearer ${sender.tenant.keys.ingest}`, 'Content-Type': 'application/json' };
  if (req.gzip) headers['Content-Encoding'] = 'gzip';
  const res = await call(runtime.url, req.segment ? '/v1/batch' : '/v1/events', {
    body: req.gzip ? gzipSync(text) : text,
    headers,
  });
  expect(res.status).toBeLessThan(500);
  const anyValid = bodyItems.some((i) => i.valid);
  if (res.status === 400 && res.body.error.code === 'no_events_accepted') {
    if (anyValid)
      throw new Error(
        `valid events refused: ${JSON.stringify(bodyItems.flatMap((it, i) => (it.valid ? [{ event: it.event, error: (res.body.error.details as { index: number }[]).find((d) => d.index === i) }] : [])).slice(0, 3))}`,
      );
    for (const d of res.body.error.details as { message: string }[]) expect(d.message).toEqual(expect.any(String));
    return [];
  }
  expect({ status: res.status, error: res.body.error }).toEqual({ status: req.segment ? 200 : 202, error: undefined });
  const ids = res.body.event_ids as (string | null)[];
  expect(ids).toHaveLength(bodyItems.length);
  const out: Expected[] = [];
  bodyItems.forEach((item, i) => {
    const id = ids[i];
    // Every valid event is accepted (the assertion names the event when it fails).
    if (item.valid && id === null)
      throw new Error(
        `valid event refused: ${JSON.stringify(item.event)} → ${JSON.stringify((res.body.errors as { index: number }[]).find((e) => e.index === i))}`,
      );
    if (id !== null) out.push(expectationOf(sender.tenant.id, req.segment, item.event, id!));
  });
  for (const e of res.body.errors as { message: string }[]) expect(e.message.length).toBeGreaterThan(0);
  return out;
}

async function verify(expected: Expected[]) {
  const byTenant = new Map<string, Expected[]>();
  for (const e of expected) byTenant.set(e.tenantId, [...(byTenant.get(e.tenantId) ?? []), e]);
  for (const [tenantId, events] of byTenant) {
    const ids = events.map((e) => e.eventId);
    const rows = await eventually(
      async () => {
        const r = await storedEvents(env.adapters.sql, tenantId, { eventIds: ids });
        return r.length >= ids.length ? r : undefined;
      },
      30_000,
      200,
    ).catch(async (e) => {
      const r = await storedEvents(env.adapters.sql, tenantId, { eventIds: ids });
      const found = new Set(r.map((x) => x.event_id));
      throw new Error(
        `${(e as Error).message}: ${ids.length - r.length} accepted events missing from the raw store, e.g. ${JSON.stringify(events.filter((x) => !found.has(x.eventId)).slice(0, 3))}`,
      );
    });
    // Exactly once, as sent.
    expect(rows).toHaveLength(ids.length);
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const e of events) {
      const row = byId.get(e.eventId);
      expect({
        id: e.eventId,
        type: row?.event_type,
        properties: row?.properties,
        context: row?.context ?? null,
      }).toEqual({ id: e.eventId, type: e.eventType, properties: e.properties, context: e.context });
    }
  }
}

/** Every accepted event counted once: the 1-minute count rollups of each tenant equal the accepted events per type. */
async function verifyCounts(all: Expected[]) {
  for (const { tenant } of senders) {
    const want = new Map<string, number>();
    for (const e of all) if (e.tenantId === tenant.id) want.set(e.eventType, (want.get(e.eventType) ?? 0) + 1);
    const got = await eventually(
      async () => {
        const m = await rollupTotalsByType(env.adapters.sql, tenant.id, { interval: '1m' });
        const total = [...m.values()].reduce((a, b) => a + b, 0);
        return total >= all.filter((e) => e.tenantId === tenant.id).length ? m : undefined;
      },
      60_000,
      200,
    );
    expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...want].sort()));
  }
}

describe('ack ⇒ stored, for every input', () => {
  const accepted: Expected[] = [];

  it('stores every accepted event exactly once, as sent, and accepts every valid one, with several tenants at once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.array(request, { minLength: 1, maxLength: 2 }),
          fc.array(request, { minLength: 1, maxLength: 2 }),
          fc.array(request, { minLength: 1, maxLength: 2 }),
        ),
        async (perTenant) => {
          const results = await Promise.all(
            perTenant.map((reqs, t) => Promise.all(reqs.map((r) => send(senders[t]!, r)))),
          );
          const expected = results.flat(2);
          const t0 = Date.now();
          await verify(expected);
          if (process.env.ACK_DEBUG)
            process.stdout.write(`run: ${expected.length} accepted, verified in ${Date.now() - t0} ms\n`);
          accepted.push(...expected);
        },
      ),
      { numRuns: Number(process.env.ACK_RUNS ?? 60), endOnFailure: true },
    );
    // The metrics: every accepted event counted exactly once (after all runs, when nothing is in flight).
    await verifyCounts(accepted);
    // And through the API, for the most frequent type of one tenant.
    const tenant = senders[0]!.tenant;
    const mine = accepted.filter((e) => e.tenantId === tenant.id);
    if (mine.length > 0) {
      const counts = new Map<string, number>();
      for (const e of mine) counts.set(e.eventType, (counts.get(e.eventType) ?? 0) + 1);
      const [type, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
      const q = new URLSearchParams({
        event_type: type,
        metric: 'count',
        interval: '1d',
        from: new Date(NOW - 3 * 86_400_000).toISOString(),
        to: new Date(NOW + 2 * 86_400_000).toISOString(),
      });
      const res = await call(runtime.url, `/v1/metrics?${q}`, { key: tenant.keys.read });
      expect(res.status).toBe(200);
      expect((res.body.points as { value: number }[]).reduce((a, p) => a + p.value, 0)).toBe(n);
    }
  }, 300_000); // a bounded number of runs; the limit only stops a hung run
});
