// Breakdowns (docs/api.md#breakdowns) in a zoned tenant (docs/api.md#time-zones), end to end: events POSTed to
// /v1/events across the DST changes of Europe/Berlin and America/New_York, aggregated by the runtime's consumer into
// the declared dimension `country` (K = 3 values per bucket, so '$other' is exercised in every hour), read back with
// GET /v1/metrics?breakdown=. For 1h and 1d windows around each change, in Berlin, New York and Kathmandu (+05:45):
// the rollup source (declared `country`) equals the reference with the K cap; the raw source (the undeclared copy
// `copy`, and `country` with a prop filter) equals the reference without it; Σ series = points bucket by bucket for
// count and sum; the points are the local buckets. The same live, after each zone change (re-bucketing, which
// regroups the 1h/1d dimension rows from 5m rows) and with events arriving after one, after switching back, and after
// `customersignal rebuild` of a zoned tenant whose dimension rows were damaged. compare=previous over local days (a
// 25-hour one among them) and format=csv of the same answer; a raw breakdown's retention check by the local buckets.
import { randomUUID } from 'node:crypto';
import { eventually, useTestEnv } from '../../test/harness';
import { call } from '../../test/builders';
import { csvRecords } from '../../test/csv-records';
import {
  bucketParts,
  expectSeriesAddUp,
  referenceSeries,
  seriesPoints,
  type RefEvent,
} from '../../test/breakdown-reference';
import { rebuildRange } from '../maintenance/rebuild';
import { putCatalogType } from './catalog';
import { bucketsIn, parseTimeZone, type TimeZone } from '../../core/timezone';
import type { Adapters } from '../../adapters';

const H = 3_600_000;
const D = 24 * H;
const K = 3;
const LIMIT = 4;
const at = (iso: string) => Date.parse(iso);

/** The test clock: after every DST change below, all of them within RETENTION. */
const clock = at('2026-11-06T00:00:00Z');
let deps: Adapters;

const { env, runtime, tenant } = useTestEnv('zonebreakdowns', {
  tenants: 1,
  runtime: { consumers: true },
  overrides: { RETENTION: '300d', MAX_EVENTS_PER_BATCH: '1000', DIMENSION_MAX_VALUES: String(K) },
  adapters: (e) => (deps = { ...e.adapters, now: () => clock }),
});

// Berlin 02:00 CET → 03:00 CEST on 29 March, 03:00 CEST → 02:00 CET on 25 October; New York 02:00 EST → 03:00 EDT
// on 8 March, 02:00 EDT → 01:00 EST on 1 November (2026).
const TRANSITIONS = [
  at('2026-03-29T01:00:00Z'),
  at('2026-10-25T01:00:00Z'),
  at('2026-03-08T07:00:00Z'),
  at('2026-11-01T06:00:00Z'),
];

const VALUES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', '$other', 'Ünïcødé', 'a,"b"'];

/** Every `step` minutes (and some seconds) across ±40 h of each change, plus events on and next to it. */
function generate(step: number, seed: number): RefEvent[] {
  const ts: number[] = [];
  for (const T of TRANSITIONS) {
    const n = Math.floor((40 * 60) / step);
    for (let k = -n; k <= n; k++) ts.push(T + k * step * 60_000 + ((((k + seed) % 5) + 5) % 5) * 7_000);
    for (const d of [-1, 0, 1, H - 1, H, -H]) ts.push(T + d);
  }
  return ts.map((t, i) => ({
    ts: t,
    v: (i + seed) % 9 === 4 ? undefined : VALUES[((i + seed) * 7 + Math.floor(i / 13)) % VALUES.length],
    amount: (i + seed) % 6 === 5 ? undefined : (((i + seed) * 37) % 1000) / 100,
  }));
}
/** Every event sent so far. */
const events: RefEvent[] = [];

async function ingest(batch: RefEvent[]): Promise<void> {
  events.push(...batch);
  for (let i = 0; i < batch.length; i += 1000) {
    const res = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: {
        events: batch.slice(i, i + 1000).map((e) => ({
          event_type: 'order',
          project: tenant.project.slug,
          event_id: randomUUID(),
          timestamp: new Date(e.ts).toISOString(),
          user_id: 'u1',
          properties: {
            ...(e.v === undefined ? {} : { country: e.v, copy: e.v }),
            ...(e.amount === undefined ? {} : { amount: e.amount }),
            all: 'yes',
          },
        })),
      },
    });
    expect(res.status).toBe(202);
  }
  // Aggregated: the 1d buckets of the whole span add up to every event sent.
  await eventually(async () => {
    const r = await call(
      runtime.url,
      '/v1/metrics?event_type=order&interval=1d&from=2026-03-01T00:00:00Z&to=2026-11-05T00:00:00Z',
      { key: tenant.keys.read },
    );
    const n = (r.body.points as { value: number }[]).reduce((s, p) => s + p.value, 0);
    return n === events.length ? n : undefined;
  }, 60_000);
}

type Point = { t: string; value: number | null };
interface Answer {
  timezone: string;
  source: 'rollup' | 'raw';
  points: Point[];
  previous?: { from: string; to: string; points: Point[] };
  series: { value: string; total: number | null; points: Point[]; previous?: { points: Point[] } }[];
}

async function metrics(q: string): Promise<Answer> {
  const r = await call(runtime.url, `/v1/metrics?event_type=order&${q}`, { key: tenant.keys.read });
  expect({ q, status: r.status, body: r.status === 200 ? 'ok' : r.body }).toEqual({ q, status: 200, body: 'ok' });
  return r.body as Answer;
}

const WINDOWS: ['1h' | '1d', number, number][] = TRANSITIONS.flatMap((T) => [
  ['1h', T - 36 * H, T + 36 * H],
  ['1d', T - 3 * D, T + 3 * D],
]) as never;

/**
 * Every window in `zone`, count and sum: rollup = reference with the K cap, raw (undeclared copy; declared dimension
 * with a prop filter) = reference without it, Σ series = points, points = the zone's local buckets.
 */
async function expectZone(zone: TimeZone): Promise<void> {
  const z = bucketsIn(zone);
  for (const [interval, fromMs, toMs] of WINDOWS) {
    const buckets = z.range(fromMs, toMs, interval);
    const bucketOf = (ms: number) => z.start(ms, interval);
    for (const metric of ['count', 'sum'] as const) {
      const m = metric === 'count' ? 'count' : 'sum:amount';
      const q = `interval=${interval}&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}&metric=${m}&limit=${LIMIT}`;
      const label = `${zone} ${q}`;
      const refCapped = referenceSeries(events, bucketOf, buckets, metric, LIMIT, K);
      const refRaw = referenceSeries(events, bucketOf, buckets, metric, LIMIT, null);
      const rollup = await metrics(`${q}&breakdown=country`);
      const raw = await metrics(`${q}&breakdown=copy`);
      const filtered = await metrics(`${q}&breakdown=country&prop.all=yes`);
      expect({ label, sources: [rollup.source, raw.source, filtered.source] }).toEqual({
        label,
        sources: ['rollup', 'raw', 'raw'],
      });
      for (const a of [rollup, raw, filtered]) {
        expect(a.timezone).toBe(zone);
        expect({ label, t: a.points.map((p) => p.t) }).toEqual({
          label,
          t: buckets.map((b) => new Date(b).toISOString()),
        });
        expectSeriesAddUp(a);
      }
      // The total points: the reference's (with or without the cap, every event is in one series).
      const total = refRaw.reduce(
        (acc, s) => acc.map((v, i) => v + s.points[i]!.value),
        buckets.map(() => 0),
      );
      expect({ label, points: rollup.points.map((p) => p.value) }).toEqual({
        label,
        points: total.map((v) => Number(v.toFixed(2))),
      });
      expect({ label, raw: raw.points }).toEqual({ label, raw: rollup.points });
      expect({ label, series: rollup.series }).toEqual({ label, series: refCapped });
      expect({ label, series: raw.series }).toEqual({ label, series: refRaw });
      expect({ label, series: filtered.series }).toEqual({ label, series: refRaw });
    }
  }
}

/** PATCH /v1/tenant, then GET /v1/tenant until its re-bucketing to `zone` says done. */
async function setZone(name: string): Promise<TimeZone> {
  const r = await call(runtime.url, '/v1/tenant', {
    method: 'PATCH',
    key: tenant.keys.admin,
    json: { timezone: name },
  });
  expect(r.status).toBe(200);
  const zone = parseTimeZone(name);
  expect(r.body.timezone).toBe(zone);
  await eventually(async () => {
    const g = await call(runtime.url, '/v1/tenant', { key: tenant.keys.read });
    return g.body.timezone === zone && g.body.rebucketing?.status === 'done' && g.body.rebucketing.to_timezone === zone
      ? true
      : undefined;
  });
  return zone;
}

/** Damages every dimension row in [from, to) (all intervals), shows the damage, then rebuilds the range. */
async function damageAndRebuild(zone: TimeZone, fromIso: string, toIso: string): Promise<void> {
  const [from, to] = [new Date(fromIso), new Date(toIso)];
  const damaged = await env.adapters.sql`
    update dimension_cells set count = count + 1000
    where dimension_id in (select id from event_dimensions where tenant_id = ${tenant.id})
      and bucket_start >= ${from} and bucket_start < ${to}`;
  expect(damaged.count).toBeGreaterThan(0);
  const shown = await metrics(`interval=1d&from=${fromIso}&to=${toIso}&breakdown=country`);
  expect(shown.series.some((s) => s.points.some((p) => (p.value ?? 0) >= 1000))).toBe(true);
  const summary = await rebuildRange(deps, { fromMs: from.getTime(), toMs: to.getTime(), tenantId: tenant.id });
  expect(summary.events).toBeGreaterThan(0);
  await expectZone(zone);
}

beforeAll(async () => {
  // `country` declared, its rollups complete from before every event; the tenant in Berlin before any arrives.
  await putCatalogType(
    env.adapters,
    { tenantId: tenant.id, keyId: 'test', scopes: ['admin'], projectId: null, projectSlug: null },
    'order',
    { project: tenant.project.slug, dimensions: ['country'] },
  );
  await env.adapters.sql`
    update event_dimensions set complete_from = ${new Date('2026-01-01T00:00:00Z')} where tenant_id = ${tenant.id}`;
  await setZone('Europe/Berlin');
  await ingest(generate(7, 0));
}, 180_000);

describe('breakdowns in a zoned tenant', () => {
  it('Europe/Berlin, live: rollup = raw = reference over 23- and 25-hour days', async () => {
    await expectZone(parseTimeZone('Europe/Berlin'));
    // The K cap was exercised in hours and days alike.
    const [capped] = await env.adapters.sql<{ n: number }[]>`
      select count(distinct interval)::int as n from dimension_cells
      where dimension_id in (select id from event_dimensions where tenant_id = ${tenant.id})
        and value_key = '$other' and interval in ('1h', '1d')`;
    expect(capped!.n).toBe(2);
  }, 240_000);

  it('after zone changes: America/New_York, then Asia/Kathmandu (+05:45), and live events there', async () => {
    await expectZone(await setZone('America/New_York'));
    const kathmandu = await setZone('Asia/Kathmandu');
    await expectZone(kathmandu);
    // Events arriving in Kathmandu go to its local hours and days, next to the re-bucketed ones.
    await ingest(generate(17, 3));
    await expectZone(kathmandu);
  }, 300_000);

  it('after a rebuild of damaged dimension rows in Asia/Kathmandu', async () => {
    const zone = await setZone('Asia/Kathmandu'); // the same zone: nothing moves
    await damageAndRebuild(zone, '2026-10-23T00:00:00Z', '2026-10-28T00:00:00Z');
  }, 300_000);

  it('switched back to Europe/Berlin, and after a rebuild there across both DST changes', async () => {
    const zone = await setZone('Europe/Berlin');
    await expectZone(zone);
    await damageAndRebuild(zone, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z');
    await damageAndRebuild(zone, '2026-10-23T00:00:00Z', '2026-10-27T00:00:00Z');
  }, 300_000);

  it('compare=previous over local days and format=csv of the same answer', async () => {
    const zone = parseTimeZone('Europe/Berlin');
    const z = bucketsIn(zone);
    // The local days 25 (25 hours) and 26 October; before them the local days 23 and 24 October.
    const from = '2026-10-24T22:00:00.000Z';
    const to = '2026-10-26T23:00:00.000Z';
    const prevFrom = at('2026-10-22T22:00:00Z');
    for (const [breakdown, k] of [
      ['country', K],
      ['copy', null],
    ] as const) {
      const q = `interval=1d&from=${from}&to=${to}&metric=sum:amount&limit=${LIMIT}&breakdown=${breakdown}&compare=previous`;
      const a = await metrics(q);
      expect(a.timezone).toBe(zone);
      expect(a.points.map((p) => p.t)).toEqual([from, '2026-10-25T23:00:00.000Z']);
      expect(a.previous).toMatchObject({ from: new Date(prevFrom).toISOString(), to: from });
      const buckets = z.range(at(from), at(to), '1d');
      const prevBuckets = z.range(prevFrom, at(from), '1d');
      expect(prevBuckets.map((b) => new Date(b).toISOString())).toEqual([
        '2026-10-22T22:00:00.000Z',
        '2026-10-23T22:00:00.000Z',
      ]);
      const bucketOf = (ms: number) => z.start(ms, '1d');
      const main = referenceSeries(events, bucketOf, buckets, 'sum', LIMIT, k);
      expect(a.series.map(({ previous: _, ...s }) => s)).toEqual(main);
      // Each series over the previous local days: the same values, grouped as the main range shows them.
      const parts = bucketParts(events, bucketOf, prevBuckets, k);
      const top = main.map((s) => s.value).filter((s) => s !== '$other' && s !== '$none');
      for (const s of a.series)
        expect({ s: s.value, previous: s.previous?.points }).toEqual({
          s: s.value,
          previous: seriesPoints(parts, prevBuckets, 'sum', top, s.value),
        });
      expectSeriesAddUp(a);
      expectSeriesAddUp({ points: a.previous!.points, series: a.series.map((s) => s.previous!) });

      // The CSV: the total's rows, then each series', with the previous range's point beside each.
      const csv = await call(runtime.url, `/v1/metrics?event_type=order&${q}&format=csv`, { key: tenant.keys.read });
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const cell = (v: number | null) => (v === null ? '' : String(v));
      const rows = (name: string, ps: Point[], prev: Point[]) =>
        ps.map((p, i) => [name, p.t, cell(p.value), prev[i]!.t, cell(prev[i]!.value)]);
      expect(csvRecords(csv.body as string)).toEqual([
        ['series', 't', 'value', 'previous_t', 'previous_value'],
        ...rows('', a.points, a.previous!.points),
        ...a.series.flatMap((s) => rows(s.value, s.points, s.previous!.points)),
      ]);
    }
  }, 120_000);

  it('a raw breakdown reaching before the raw retention is refused by the local buckets it reads', async () => {
    // RETENTION 300d on the test clock: the oldest kept event is at 2026-01-10T00:00Z; the Berlin local day of
    // 10 January starts an hour earlier, so a raw read of it would miss events; the 11th is whole.
    const q = '/v1/metrics?event_type=order&interval=1d&breakdown=copy&to=2026-01-12T00:00:00Z';
    const early = await call(runtime.url, `${q}&from=2026-01-10T00:30:00Z`, { key: tenant.keys.read });
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe('beyond_retention');
    expect(early.body.error.message).toMatch(/Give from=2026-01-10T23:00:00.000Z or later/);
    const ok = await call(runtime.url, `${q}&from=2026-01-10T23:00:00Z`, { key: tenant.keys.read });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ timezone: 'Europe/Berlin', source: 'raw' });
  });
});
