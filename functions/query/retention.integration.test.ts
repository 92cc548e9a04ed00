// Retention (docs/api.md#retention) end to end over HTTP: events written through the aggregate step's write path,
// persons merged by distinct_ids rows (as the identity contract writes them, migration 021), answers read with
// POST /v1/retention/query. A deliberately simple in-memory reference (local dates from Intl, no core/timezone.ts)
// and fast-check histories in Europe/Berlin across both DST changes, Asia/Kathmandu (+05:45) and America/New_York:
// events on local midnights and a millisecond either side, equal timestamps, merges, late events and a merge made
// after the first read (retroactive) — the SQL answer equals the reference's, cohort by cohort and value by value.
// A hand-built week-over-week example with its known answer, and the input space: 4xx, never 5xx.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestEnv, type TestTenant } from '../../test/harness';
import { call, rawEvent } from '../../test/builders';
import { planCountDeltas } from '../../core/rollups';
import type { RawEvent } from '../../core/raw-event';
import { nextPeriod, periodStart, type RetentionAnswer } from '../../core/retention';
import { parseTimeZone, type TimeZone } from '../../core/timezone';
import type { Adapters } from '../../adapters';

/** The generated histories' seed and runs per zone (fixed by default, so the checks of what they exercised are too). */
const SEED = Number(process.env.RETENTION_SEED ?? 20261205);
const RUNS = Number(process.env.RETENTION_RUNS ?? 12);
const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);
const clock = at('2026-11-20T00:00:00Z');
let deps: Adapters;

const { env, runtime, tenants } = useTestEnv('retention', {
  tenants: 3,
  runtime: true,
  overrides: { RETENTION: '300d' },
  adapters: (e) => (deps = { ...e.adapters, now: () => clock }),
});

const ZONES = ['Europe/Berlin', 'Asia/Kathmandu', 'America/New_York'].map((z) => parseTimeZone(z));

/** The projects, made before any read: the project resolver caches a tenant's project list for a while. */
let handBuilt: { id: string; slug: string };
const generated: { id: string; slug: string }[] = [];

beforeAll(async () => {
  for (let i = 0; i < ZONES.length; i++) await deps.tenantZones.changeTimezone(tenants[i]!.id, ZONES[i]!);
  handBuilt = await newProject(tenants[0]!);
  for (let i = 0; i < ZONES.length; i++) generated.push(await newProject(tenants[i]!));
});

// ---- writing a history ----------------------------------------------------------------------------------------

interface Ev {
  id: string;
  type: string;
  ts: number;
  user: string;
  props: Record<string, unknown>;
}

async function writeEvents(t: TestTenant, project: { id: string; slug: string }, events: Ev[]): Promise<void> {
  const raw: RawEvent[] = events.map((e) =>
    rawEvent(
      { id: t.id, project },
      { eventId: e.id, eventType: e.type, timestampMs: e.ts, receivedAtMs: clock, userId: e.user, properties: e.props },
    ),
  );
  await env.adapters.partitions.ensureFor(raw.map((e) => e.timestampMs));
  await env.adapters.aggregateStore.writeBatch(raw, (fresh, b) => planCountDeltas(fresh, undefined, b));
}

/** distinct_ids rows the way the identity contract keeps them: every id of a person carries the person's id. */
async function writePersons(t: TestTenant, projectId: string, persons: Map<string, string>): Promise<void> {
  for (const [distinctId, personId] of persons) {
    await env.adapters.sql`
      insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
      values (${t.id}, ${projectId}, ${distinctId}, ${personId}, false, now(), now(), 0)
      on conflict (tenant_id, project_id, distinct_id) do update set person_id = excluded.person_id`;
  }
}

let projects = 0;
async function newProject(t: TestTenant): Promise<{ id: string; slug: string }> {
  const slug = `r${(projects += 1)}`;
  return { id: await env.createProject(t, slug), slug };
}

async function query(t: TestTenant, body: Record<string, unknown>) {
  return call(runtime.url, '/v1/retention/query', { key: t.keys.read, json: body });
}

/** What the generated histories exercised (checked after each property: the comparisons were not all of empty grids). */
const seen = { persons: 0, returned: 0, notAtZero: 0, split: 0 };

// ---- the reference --------------------------------------------------------------------------------------------

interface RefQuery {
  start: { type: string; filters?: Record<string, string | number> };
  ret: { type: string; filters?: Record<string, string | number> };
  period: 'day' | 'week';
  periods: number;
  from: number;
  to: number;
  breakdown?: { path: string; limit: number };
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** Days since 1970-01-01 of the local date at `ms`. */
function localDay(ms: number, zone: string): number {
  let f = dateFormats.get(zone);
  if (!f) dateFormats.set(zone, (f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, dateStyle: 'short' })));
  const [y, m, d] = f.format(ms).split('-').map(Number);
  return Date.UTC(y!, m! - 1, d!) / D;
}
/** The period index of an instant: its local date, or its week from Monday (1970-01-01 was a Thursday). */
const periodIndex = (ms: number, q: RefQuery, zone: string) =>
  q.period === 'day' ? localDay(ms, zone) : Math.floor((localDay(ms, zone) + 3) / 7);

function matches(e: Ev, spec: RefQuery['start']): boolean {
  if (e.type !== spec.type) return false;
  return Object.entries(spec.filters ?? {}).every(([k, want]) => {
    const v = e.props[k];
    return typeof want === 'number' ? v === want || v === String(want) : v === want;
  });
}

function seriesValue(v: unknown): string {
  if (v === undefined || v === null) return '$none';
  if (typeof v === 'string') return v.startsWith('$') ? `$${v}` : v;
  return String(v);
}

interface RefCohort {
  index: number;
  size: number;
  returned: number[];
}

/** Retention by its definition, in the plainest terms (docs/api.md#retention). */
function reference(events: Ev[], personOf: (id: string) => string, q: RefQuery, zone: string, now: number) {
  const first = periodIndex(q.from, q, zone);
  const last = periodIndex(q.to - 1, q, zone);
  const nowIndex = periodIndex(now, q, zone);
  const byte = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  // Each person's first start event in [from, to): by time, then event id (bytes).
  const firsts = new Map<string, Ev>();
  for (const e of events) {
    if (!matches(e, q.start) || e.ts < q.from || e.ts >= q.to) continue;
    const p = personOf(e.user);
    const f = firsts.get(p);
    if (!f || e.ts < f.ts || (e.ts === f.ts && byte(e.id, f.id) < 0)) firsts.set(p, e);
  }
  const valueOf = (f: Ev) => (q.breakdown ? seriesValue(f.props[q.breakdown.path]) : '');
  const grid = (keep: (value: string) => boolean): RefCohort[] => {
    const out: RefCohort[] = [];
    for (let c = first; c <= last; c++) {
      const begun = Math.max(0, Math.min(q.periods, nowIndex - c + 1));
      out.push({ index: c, size: 0, returned: new Array<number>(begun).fill(0) });
    }
    for (const [p, f] of firsts) {
      if (!keep(valueOf(f))) continue;
      const cohort = out[periodIndex(f.ts, q, zone) - first]!;
      cohort.size += 1;
      const ks = new Set<number>();
      for (const e of events) {
        if (!matches(e, q.ret) || personOf(e.user) !== p || e.ts < f.ts) continue;
        ks.add(periodIndex(e.ts, q, zone) - cohort.index);
      }
      for (const k of ks) if (k < cohort.returned.length) cohort.returned[k]! += 1;
    }
    return out;
  };
  const total = grid(() => true);
  if (!q.breakdown) return { total };
  const persons = new Map<string, number>();
  for (const f of firsts.values()) persons.set(valueOf(f), (persons.get(valueOf(f)) ?? 0) + 1);
  const ranked = [...persons]
    .filter(([v]) => v !== '$none')
    .sort(([a, x], [b, y]) => y - x || byte(a, b))
    .slice(0, q.breakdown.limit)
    .map(([v]) => v);
  const others = [...persons.keys()].filter((v) => v !== '$none' && !ranked.includes(v));
  const series = [
    ...ranked.map((v) => ({ value: v, keep: (x: string) => x === v })),
    ...(others.length > 0 ? [{ value: '$other', keep: (x: string) => others.includes(x) }] : []),
    ...(persons.has('$none') ? [{ value: '$none', keep: (x: string) => x === '$none' }] : []),
  ];
  return { total, breakdown: series.map((s) => ({ value: s.value, cohorts: grid(s.keep) })) };
}

function bodyOf(project: string, q: RefQuery): Record<string, unknown> {
  const ev = (s: RefQuery['start']) => (s.filters ? { event_type: s.type, filters: s.filters } : s.type);
  return {
    project,
    start_event: ev(q.start),
    return_event: ev(q.ret),
    period: q.period,
    periods: q.periods,
    from: new Date(q.from).toISOString(),
    to: q.to,
    ...(q.breakdown ? { breakdown: q.breakdown.path, limit: q.breakdown.limit } : {}),
  };
}

/** The answer's cohorts against the reference's: each start is the first instant of its local period. */
function expectCohorts(got: RetentionAnswer['cohorts'], want: RefCohort[], q: RefQuery, zone: string) {
  expect(got.map((c) => ({ size: c.size, returned: c.returned }))).toEqual(
    want.map((c) => ({ size: c.size, returned: c.returned })),
  );
  got.forEach((c, i) => {
    const s = Date.parse(c.start);
    expect(periodIndex(s, q, zone)).toBe(want[i]!.index);
    expect(periodIndex(s - 1, q, zone)).toBe(want[i]!.index - 1);
  });
}

async function expectReference(
  t: TestTenant,
  project: string,
  events: Ev[],
  personOf: (id: string) => string,
  q: RefQuery,
  zone: TimeZone,
) {
  const res = await query(t, bodyOf(project, q));
  expect(res.status).toBe(200);
  const answer = res.body as RetentionAnswer;
  const ref = reference(events, personOf, q, zone, clock);
  for (const c of answer.cohorts) {
    seen.persons += c.size;
    seen.returned += c.returned.reduce((a, b) => a + b, 0);
    if (c.returned.length > 0 && c.returned[0]! < c.size) seen.notAtZero += 1;
  }
  if (answer.breakdown && answer.breakdown.length > 1) seen.split += 1;
  expect(answer.timezone).toBe(zone);
  expectCohorts(answer.cohorts, ref.total, q, zone);
  if (ref.breakdown) {
    expect(answer.breakdown!.map((s) => s.value)).toEqual(ref.breakdown.map((s) => s.value));
    answer.breakdown!.forEach((s, i) => expectCohorts(s.cohorts, ref.breakdown[i]!.cohorts, q, zone));
    // Per-value cohorts add up to the total, cell by cell.
    answer.cohorts.forEach((c, i) => {
      expect(answer.breakdown!.reduce((n, s) => n + s.cohorts[i]!.size, 0)).toBe(c.size);
      c.returned.forEach((r, k) =>
        expect(answer.breakdown!.reduce((n, s) => n + s.cohorts[i]!.returned[k]!, 0)).toBe(r),
      );
    });
  } else {
    expect(answer.breakdown).toBeUndefined();
  }
}

// ---- the hand-built example -----------------------------------------------------------------------------------

describe('week over week in Europe/Berlin (hand-built, known answer)', () => {
  it('counts first-time cohorts, period 0 from the start event on, merged ids as one person, and a DST week', async () => {
    const t = tenants[0]!;
    const p = handBuilt;
    const ev = (user: string, type: string, iso: string, props: Record<string, unknown> = {}): Ev => ({
      id: randomUUID(),
      user,
      type,
      ts: at(iso),
      props,
    });
    const events = [
      // Week of Mon 5 Oct (starts 2026-10-04T22:00Z, CEST).
      ev('alice', 'signup', '2026-10-05T08:00:00Z', { plan: 'pro' }),
      ev('alice', 'login', '2026-10-05T10:00:00Z'), // period 0
      ev('alice', 'login', '2026-10-14T10:00:00Z'), // period 1
      ev('alice', 'login', '2026-10-28T10:00:00Z'), // period 3
      ev('bob', 'login', '2026-10-06T10:00:00Z'), // before his start event: not period 0
      ev('bob', 'signup', '2026-10-07T10:00:00Z', { plan: 'free' }),
      ev('bob', 'login', '2026-10-20T10:00:00Z'), // period 2
      // Week of Mon 12 Oct.
      ev('anon-c', 'signup', '2026-10-13T10:00:00Z', { plan: 'pro' }), // carol, before she was identified
      ev('carol', 'login', '2026-10-20T10:00:00Z'), // period 1, through the merge
      ev('dave', 'signup', '2026-10-12T10:00:00Z'),
      ev('dave', 'signup', '2026-10-19T10:00:00Z', { plan: 'pro' }), // not his first: no second cohort
      ev('dave', 'login', '2026-10-19T11:00:00Z'), // period 1
      // Week of Mon 19 Oct, 169 hours long (CEST → CET on Sunday 25 Oct), ends 2026-10-25T23:00Z.
      ev('erin', 'signup', '2026-10-25T22:30:00Z', { plan: 'free' }), // Sunday 23:30 CET
      ev('erin', 'login', '2026-10-25T23:00:00Z'), // Monday 00:00 CET: period 1
    ];
    await writeEvents(t, p, events);
    await writePersons(
      t,
      p.id,
      new Map([
        ['anon-c', 'carol'],
        ['carol', 'carol'],
      ]),
    );
    const res = await query(t, {
      project: p.slug,
      start_event: 'signup',
      return_event: 'login',
      period: 'week',
      periods: 4,
      from: '2026-10-04T22:00:00Z',
      to: '2026-10-25T23:00:00Z',
      breakdown: 'plan',
      limit: 1,
    });
    expect(res.status).toBe(200);
    const w = (start: string, size: number, returned: number[]) => ({ start, size, returned });
    expect(res.body).toEqual({
      timezone: 'Europe/Berlin',
      period: 'week',
      periods: 4,
      cohorts: [
        w('2026-10-04T22:00:00.000Z', 2, [1, 1, 1, 1]),
        w('2026-10-11T22:00:00.000Z', 2, [0, 2, 0, 0]),
        w('2026-10-18T22:00:00.000Z', 1, [0, 1, 0, 0]),
      ],
      // 'free' and 'pro' tie at 2 persons: 'free' first by bytes; pro is $other with limit 1; dave's first signup
      // had no plan.
      breakdown: [
        {
          value: 'free',
          cohorts: [
            w('2026-10-04T22:00:00.000Z', 1, [0, 0, 1, 0]),
            w('2026-10-11T22:00:00.000Z', 0, [0, 0, 0, 0]),
            w('2026-10-18T22:00:00.000Z', 1, [0, 1, 0, 0]),
          ],
        },
        {
          value: '$other',
          cohorts: [
            w('2026-10-04T22:00:00.000Z', 1, [1, 1, 0, 1]),
            w('2026-10-11T22:00:00.000Z', 1, [0, 1, 0, 0]),
            w('2026-10-18T22:00:00.000Z', 0, [0, 0, 0, 0]),
          ],
        },
        {
          value: '$none',
          cohorts: [
            w('2026-10-04T22:00:00.000Z', 0, [0, 0, 0, 0]),
            w('2026-10-11T22:00:00.000Z', 1, [0, 1, 0, 0]),
            w('2026-10-18T22:00:00.000Z', 0, [0, 0, 0, 0]),
          ],
        },
      ],
    });
    // Without the merge, anon-c and carol would be two persons: anon-c's cohort would have no return.
    const same = await query(t, {
      project: p.slug,
      start_event: 'login',
      return_event: 'login',
      period: 'day',
      periods: 1,
      from: '2026-10-19T22:00:00Z',
      to: '2026-10-20T22:00:00Z',
    });
    // The same event as start and return: period 0 counts the start event itself (bob and carol on 20 Oct).
    expect(same.body.cohorts).toEqual([w('2026-10-19T22:00:00.000Z', 2, [2])]);
  });
});

// ---- generated histories --------------------------------------------------------------------------------------

/** Windows around each zone's interesting days: Berlin's and New York's DST changes; any fortnight in Kathmandu. */
const WINDOWS: Record<string, [number, number][]> = {
  [parseTimeZone('Europe/Berlin')]: [
    [at('2026-03-20T00:00:00Z'), at('2026-04-08T00:00:00Z')],
    [at('2026-10-16T00:00:00Z'), at('2026-11-04T00:00:00Z')],
  ],
  [parseTimeZone('America/New_York')]: [
    [at('2026-02-28T00:00:00Z'), at('2026-03-18T00:00:00Z')],
    [at('2026-10-24T00:00:00Z'), at('2026-11-12T00:00:00Z')],
  ],
  [parseTimeZone('Asia/Kathmandu')]: [[at('2026-11-02T00:00:00Z'), at('2026-11-21T00:00:00Z')]],
};

/** Local midnights (days and Monday weeks) in the window, each with the instants a millisecond either side. */
function edges(zone: TimeZone, [a, b]: [number, number]): number[] {
  const out: number[] = [];
  for (let t = periodStart(a, 'day', zone); t < b; t = nextPeriod(t, 'day', zone)) out.push(t - 1, t, t + 1);
  return out;
}

const IDS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'anon-0', 'anon-1'];

function historyArb(zone: TimeZone) {
  return fc.constantFrom(...WINDOWS[zone]!).chain((window) => {
    const instants = edges(zone, window);
    const ts = fc.oneof(
      fc.constantFrom(...instants),
      fc.integer({ min: window[0], max: window[1] }),
      fc.constantFrom(window[0] + 5 * H, window[0] + 5 * H + 1), // many events on the same instants
    );
    const event = fc.record({
      idTail: fc.stringMatching(/^[Aa_é0-9]{1,3}$/),
      type: fc.constantFrom('signup', 'signup', 'login', 'login', 'login', 'other'),
      ts,
      user: fc.constantFrom(...IDS),
      props: fc.record(
        { plan: fc.constantFrom('a', 'b', 'c', '$x', 'A'), n: fc.constantFrom<unknown>(1, 2, '1', true, null) },
        { requiredKeys: [] },
      ),
    });
    // Merges: an id joins the person of an earlier id (its person id is that person's surviving id).
    const merges = fc.array(fc.tuple(fc.integer({ min: 1, max: IDS.length - 1 }), fc.nat()), { maxLength: 5 });
    const early = instants.filter((x) => x < (window[0] + window[1]) / 2);
    const q = fc.record({
      period: fc.constantFrom<'day' | 'week'>('day', 'week'),
      periods: fc.integer({ min: 1, max: 6 }),
      from: fc.oneof(fc.constantFrom(...early), fc.integer({ min: window[0], max: window[1] })),
      span: fc.oneof(fc.constantFrom(D, 7 * D, 1, D + 1), fc.integer({ min: 1, max: 12 * D })),
      startFilter: fc.constantFrom<Record<string, string | number> | undefined>(
        undefined,
        undefined,
        undefined,
        { plan: 'a' },
        { n: 1 },
      ),
      retType: fc.constantFrom('login', 'login', 'signup'),
      retFilter: fc.constantFrom<Record<string, string | number> | undefined>(undefined, undefined, undefined, {
        plan: 'b',
      }),
      breakdown: fc.option(fc.record({ path: fc.constantFrom('plan', 'n'), limit: fc.integer({ min: 1, max: 3 }) }), {
        nil: undefined,
      }),
    });
    return fc.record({
      events: fc.array(event, { minLength: 30, maxLength: 120, size: 'max' }),
      late: fc.array(event, { maxLength: 30, size: 'max' }),
      merges,
      lateMerge: fc.option(fc.tuple(fc.integer({ min: 1, max: IDS.length - 1 }), fc.nat()), { nil: undefined }),
      queries: fc.array(q, { minLength: 1, maxLength: 3 }),
    });
  });
}

/** Person ids from merges: ids[i] joins the person of ids[j % i]. */
function personsFrom(merges: [number, number][]): Map<string, string> {
  const person = new Map<string, string>();
  const of = (id: string) => person.get(id) ?? id;
  for (const [i, j] of merges) {
    const into = of(IDS[j % i]!);
    const from = of(IDS[i]!);
    if (from === into) continue;
    for (const [id, p] of [...person]) if (p === from) person.set(id, into);
    person.set(IDS[i]!, into);
    person.set(from, into);
    person.set(into, into);
  }
  return person;
}

describe.each(ZONES.map((z, i) => [z, i] as const))('generated histories in %s', (zone, i) => {
  it('the SQL answer equals the reference, before and after late events and a later merge', async () => {
    // One project per tenant; each run has its own event types and ids, so earlier runs' events and persons are
    // invisible to it.
    const t = tenants[i]!;
    const p = generated[i]!;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(historyArb(zone), async (h) => {
        run += 1;
        const tag = `${run}-`;
        let n = 0;
        const mk = (e: { idTail: string; type: string; ts: number; user: string; props: Record<string, unknown> }) => ({
          id: `${i}-${tag}${e.idTail}${(n += 1)}`,
          type: e.type === 'other' ? 'other' : `${tag}${e.type}`,
          ts: e.ts,
          user: `${tag}${e.user}`,
          props: e.props,
        });
        const tagged = (m: Map<string, string>) => new Map([...m].map(([k, v]) => [`${tag}${k}`, `${tag}${v}`]));
        const events = h.events.map(mk);
        const merges: [number, number][] = [...h.merges];
        let persons = tagged(personsFrom(merges));
        await writeEvents(t, p, events);
        await writePersons(t, p.id, persons);
        const queries: RefQuery[] = h.queries.map((x) => ({
          start: { type: `${tag}signup`, ...(x.startFilter ? { filters: x.startFilter } : {}) },
          ret: { type: `${tag}${x.retType}`, ...(x.retFilter ? { filters: x.retFilter } : {}) },
          period: x.period,
          periods: x.periods,
          from: x.from,
          to: x.from + x.span,
          ...(x.breakdown ? { breakdown: x.breakdown } : {}),
        }));
        const check = async () => {
          const personOf = (id: string) => persons.get(id) ?? id;
          for (const q of queries) await expectReference(t, p.slug, events, personOf, q, zone);
        };
        await check();
        // Late events (earlier timestamps among them, arriving after the first read) and a merge made afterwards:
        // the answer follows both.
        const late = h.late.map(mk);
        events.push(...late);
        if (late.length > 0) await writeEvents(t, p, late);
        if (h.lateMerge) {
          merges.push(h.lateMerge);
          persons = tagged(personsFrom(merges));
          await writePersons(t, p.id, persons);
        }
        await check();
      }),
      { numRuns: RUNS, seed: SEED + i },
    );
    expect(seen.persons).toBeGreaterThan(20);
    expect(seen.returned).toBeGreaterThan(10);
    expect(seen.notAtZero).toBeGreaterThan(2);
    expect(seen.split).toBeGreaterThan(1);
    seen.persons = seen.returned = seen.notAtZero = seen.split = 0;
  });
});

// ---- the input space ------------------------------------------------------------------------------------------

describe('bad input', () => {
  const ok = {
    start_event: 'signup',
    return_event: 'login',
    period: 'day',
    periods: 7,
    from: '2026-11-01T00:00:00Z',
    to: '2026-11-08T00:00:00Z',
  };

  it.each([
    [{ ...ok, period: 'month' }, 'give "day" or "week"'],
    [{ ...ok, periods: 91 }, 'from 1 to 90'],
    [{ ...ok, from: '2025-01-01T00:00:00Z' }, 'give from='],
    [{ ...ok, to: 'yesterday' }, 'ISO-8601'],
    [{ ...ok, return_event: { event_type: 'login', filters: [] } }, 'filters must be an object'],
    [{ ...ok, from: '2026-06-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, 'more than 90 days'],
  ])('refuses bad body %# with 400 and how to fix it', async (body, message) => {
    const res = await query(tenants[0]!, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it('an unknown project is 404; an ingest key is 403', async () => {
    expect((await query(tenants[0]!, { ...ok, project: 'nope' })).status).toBe(404);
    const res = await call(runtime.url, '/v1/retention/query', { key: tenants[0]!.keys.ingest, json: ok });
    expect(res.status).toBe(403);
  });

  it('any body is answered, or refused with a 4xx — never a 5xx', async () => {
    const field = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('day', 'week', 'signup', '2026-11-01T00:00:00Z', 1, 26, 90, 0, -1, '', 'a.b', '$none'),
      fc.record({ event_type: fc.string(), filters: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })) }),
      fc.integer({ min: clock - 400 * D, max: clock + 400 * D }),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record(
        {
          start_event: field,
          return_event: field,
          period: field,
          periods: field,
          from: field,
          to: field,
          breakdown: field,
        },
        { requiredKeys: [] },
      ),
      fc.record({
        ...Object.fromEntries(Object.entries(ok).map(([k, v]) => [k, fc.constant<unknown>(v)])),
        start_event: field,
        breakdown: field,
        periods: field,
      }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await query(tenants[1]!, b as Record<string, unknown>);
        expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
        if (res.status !== 200) expect(typeof res.body.error.message).toBe('string');
      }),
      { numRuns: 150 },
    );
  });
});
