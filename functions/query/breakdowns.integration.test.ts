// Breakdowns of GET /v1/metrics (docs/api.md#breakdowns) against a reference written here: generated events with
// generated property values (absent, null, strings with `$` and non-ASCII text, numbers, booleans, objects), many
// values per bucket so that the dimension rollups' K cap (3 here) evicts, generated limits. Σ series = points bucket by
// bucket (count and sum, decimal-exact), series = reference, for the rollup source (a declared dimension) and the raw
// source (an undeclared copy of the same property); the same after concurrent delivery in shuffled batches, after a
// replay of the same events (duplicates change nothing), and after a rebuild (which also leaves the rows identical).
import fc from 'fast-check';
import { createTestEnv, type TestEnv, type TestTenant } from '../../test/harness';
import { aggregateDelivery, keyPrincipal, rawEvent } from '../../test/builders';
import { rebuildRange } from '../maintenance/rebuild';
import { bucketStart, INTERVAL_MS, type Interval } from '../../core/intervals';
import { createHash } from 'node:crypto';
import { byBytes, expectSeriesAddUp, referenceSeries } from '../../test/breakdown-reference';
import { RELATIVE_ACCURACY } from '../../core/quantile-sketch';
import type { RawEvent } from '../../core/raw-event';
import type { Principal } from '../../core/api-keys';
import { AppError } from '../../core/errors';
import { parseMetricsQuery } from './metrics';
import { readBreakdown } from './breakdown';
import { putCatalogType, getCatalog } from './catalog';
import { regroupDimensionsFrom5m } from '../../adapters/postgres/dimension-store';
import type { Sql } from '../../adapters/postgres/client';

const K = 3;
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');
let env: TestEnv;
let tenant: TestTenant;
const deliver = aggregateDelivery(() => env.adapters);

beforeAll(async () => {
  env = await createTestEnv('breakdowns', { DIMENSION_MAX_VALUES: String(K), BREAKDOWN_MAX_RAW_ROWS: '5000' });
  tenant = await env.createTenant();
});
afterAll(() => env?.cleanup());

const HOUR = 3_600_000;
const who = (scopes: Principal['scopes']): Principal => keyPrincipal(tenant.id, scopes);

async function breakdown(query: Record<string, string>) {
  const q = parseMetricsQuery(new URLSearchParams(query), Date.now());
  return readBreakdown(env.adapters, who(['read']), { ...q, breakdown: q.breakdown! });
}

const VALUES = ['DE', 'FR', 'US', 'JP', 'BR', 'IN', '$other', '$none', 'Ünïcødé', '日本', '🎉', 'a,b', 'x'.repeat(300)];
const propertyValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...VALUES) },
  // Any well-formed text but U+0000, which JSON allows and Postgres jsonb cannot hold (ingest refuses it).
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }).map((x) => x.replaceAll('\u0000', '')) },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((a) => ({ a })) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);
const generatedEvent = fc.record({
  minute: fc.integer({ min: 0, max: 3 }),
  second: fc.integer({ min: 0, max: 59 }),
  v: propertyValue,
  cents: fc.option(fc.integer({ min: -100_000, max: 10_000_000 }), { nil: undefined }),
});

let run = 0;

it('Σ series = points and series = reference, rollup and raw, live, concurrent, replayed and rebuilt', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(generatedEvent, { minLength: 1, maxLength: 120 }),
      fc.integer({ min: 1, max: 6 }),
      async (generated, limit) => {
        // Prepare: a fresh event type with `country` declared as a dimension; `copy` holds the same value, undeclared.
        run += 1;
        const eventType = `order_${run}`;
        await putCatalogType(env.adapters, who(['admin']), eventType, { project: 'web', dimensions: ['country'] });
        // The events below are all aggregated after the declaration: its buckets (in the past) are complete.
        const hour = bucketStart(Date.now() - 3 * HOUR, '1h') - run * HOUR;
        await env.adapters
          .sql`update event_dimensions set complete_from = ${new Date(hour)} where tenant_id = ${tenant.id} and event_type = ${eventType}`;
        const plain = generated.map((g) => ({
          ts: hour + g.minute * 60_000 + g.second * 1000,
          v: g.v,
          amount: g.cents === undefined ? undefined : g.cents / 100,
        }));
        const events = plain.map((p) =>
          rawEvent(tenant, {
            eventType,
            timestampMs: p.ts,
            userId: null,
            properties: {
              ...(p.v === undefined ? {} : { country: p.v, copy: p.v }),
              ...(p.amount === undefined ? {} : { amount: p.amount }),
            },
          }),
        );
        // Act: two concurrent deliveries of shuffled halves.
        const shuffled = [...events].sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
        const half = Math.ceil(shuffled.length / 2);
        await Promise.all([deliver(shuffled.slice(0, half)), deliver(shuffled.slice(half))]);

        const from = new Date(hour).toISOString();
        const to = new Date(hour + 4 * 60_000).toISOString();
        const cases = [
          { interval: '1m' as Interval, metric: 'count' as const },
          { interval: '1m' as Interval, metric: 'sum' as const },
          { interval: '1h' as Interval, metric: 'count' as const },
          // No 10s dimension rows (migration 020): a 10s breakdown by the declared dimension reads raw events.
          { interval: '10s' as Interval, metric: 'sum' as const },
        ];
        const read = async () => {
          const out: unknown[] = [];
          for (const c of cases) {
            const buckets = [];
            for (let t = bucketStart(hour, c.interval); t < hour + 4 * 60_000; t += INTERVAL_MS[c.interval])
              buckets.push(t);
            const metric = c.metric === 'count' ? 'count' : 'sum:amount';
            for (const [by, source, k] of [
              ['country', 'rollup', K],
              ['copy', 'raw', null],
            ] as const) {
              const answer = await breakdown({
                event_type: eventType,
                metric,
                interval: c.interval,
                from,
                to,
                breakdown: by,
                limit: String(limit),
              });
              const raw = c.interval === '10s';
              expect(answer.source).toBe(raw ? 'raw' : source);
              expectSeriesAddUp(answer);
              expect(answer.series).toEqual(
                referenceSeries(plain, (ts) => bucketStart(ts, c.interval), buckets, c.metric, limit, raw ? null : k),
              );
              out.push(answer);
            }
          }
          return out;
        };
        // Every row with its value's text; sums compared as numbers (numeric keeps the scale of how it was added
        // up: 28056.00 = 28056).
        const rows = () => env.adapters.sql`
          select d.dimension, c.interval, c.bucket_start, c.value_key, v.value, c.count::text as count,
                 (select string_agg(k || '=' || trim_scale((x ->> 0)::numeric)::text || '/' || (x ->> 1), ',' order by k)
                  from jsonb_each(c.nums) as j(k, x)) as nums
          from dimension_cells c join event_dimensions d on d.id = c.dimension_id
            left join dimension_values v using (dimension_id, value_key)
          where d.tenant_id = ${tenant.id} and d.event_type = ${eventType} order by 1, 2, 3, 4`;

        // Assert: live, then after a replay of everything (duplicates), then after a rebuild of the hour.
        const live = await read();
        const liveRows = await rows();
        await deliver([...events].reverse());
        expect(await read()).toEqual(live);
        // 1h and 1d rows regrouped from the 5m rows (how a time-zone change re-buckets them) are the live rows.
        await env.adapters.sql.begin(async (tx) => {
          const day = bucketStart(hour, '1d');
          await regroupDimensionsFrom5m(tx as unknown as Sql, {
            tenantId: tenant.id,
            interval: '1h',
            spans: [{ startMs: hour, endMs: hour + HOUR }],
          });
          await regroupDimensionsFrom5m(tx as unknown as Sql, {
            tenantId: tenant.id,
            interval: '1d',
            spans: [{ startMs: day, endMs: day + 24 * HOUR }],
          });
        });
        expect(await rows()).toEqual(liveRows);
        await rebuildRange(env.adapters, { fromMs: hour, toMs: hour + HOUR, tenantId: tenant.id });
        expect(await read()).toEqual(live);
        expect(await rows()).toEqual(liveRows);
      },
    ),
    {
      numRuns: 5,
      endOnFailure: true,
      // One run always has more than K values in a bucket (random runs may not), so the K cap is exercised.
      examples: [[Array.from({ length: 8 }, (_, i) => ({ minute: 1, second: i, v: `v${i}`, cents: 100 * i })), 2]],
    },
  );
  // The runs exercised the K cap: some bucket had more than K values.
  const [capped] = await env.adapters.sql<{ n: number }[]>`
    select count(*)::int as n from dimension_cells c join event_dimensions d on d.id = c.dimension_id
    where d.tenant_id = ${tenant.id} and c.value_key = '$other'`;
  expect(capped!.n).toBeGreaterThan(0);
}, 300_000);

it('percentile breakdowns are within the sketch accuracy of each series exact percentile', async () => {
  const eventType = 'latency';
  const hour = bucketStart(Date.now() - 2 * HOUR, '1h');
  const values: Record<string, number[]> = { a: [], b: [], c: [] };
  const events: RawEvent[] = [];
  for (let i = 0; i < 900; i++) {
    const tag = ['a', 'b', 'c'][i % 3]!;
    const ms = Math.round(Math.exp(1 + ((i * 7919) % 1000) / 150) * 100) / 100;
    values[tag]!.push(ms);
    events.push(rawEvent(tenant, { eventType, timestampMs: hour + (i % 60) * 1000, properties: { tag, ms } }));
  }
  await deliver(events);
  const answer = await breakdown({
    event_type: eventType,
    metric: 'p90:ms',
    interval: '1h',
    from: new Date(hour).toISOString(),
    to: new Date(hour + HOUR).toISOString(),
    breakdown: 'tag',
  });
  expect(answer.source).toBe('raw');
  expect(answer.series.map((s) => s.value).sort()).toEqual(['a', 'b', 'c']);
  for (const s of answer.series) {
    const sorted = [...values[s.value]!].sort((x, y) => x - y);
    const exact = sorted[Math.floor(0.9 * (sorted.length - 1))]!;
    expect(Math.abs(s.points[0]!.value! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    expect(s.total).toBe(s.points[0]!.value);
  }
  // Ordered by total, descending.
  const totals = answer.series.map((s) => s.total!);
  expect([...totals].sort((x, y) => y - x)).toEqual(totals);
  // The total points: the merge of every series' sketch, i.e. the percentile of all values.
  const all = Object.values(values)
    .flat()
    .sort((x, y) => x - y);
  const exactAll = all[Math.floor(0.9 * (all.length - 1))]!;
  expect(Math.abs(answer.points[0]!.value! - exactAll) / exactAll).toBeLessThanOrEqual(RELATIVE_ACCURACY);
});

it('compare=previous gives each series the same values over the previous range; past the scan budget a clear 400', async () => {
  const eventType = 'visit';
  const hour = bucketStart(Date.now() - 5 * HOUR, '1h');
  const events = [
    ...['DE', 'DE', 'FR'].map((c, i) =>
      rawEvent(tenant, { eventType, timestampMs: hour + HOUR + i * 1000, properties: { c } }),
    ),
    ...['FR', 'US', 'US'].map((c, i) =>
      rawEvent(tenant, { eventType, timestampMs: hour + i * 1000, properties: { c } }),
    ),
  ];
  await deliver(events);
  const answer = await breakdown({
    event_type: eventType,
    interval: '1h',
    from: new Date(hour + HOUR).toISOString(),
    to: new Date(hour + 2 * HOUR).toISOString(),
    breakdown: 'c',
    limit: '1',
    compare: 'previous',
  });
  expect(answer.series.map((s) => [s.value, s.total, s.previous?.points[0]?.value])).toEqual([
    ['DE', 2, 0],
    ['$other', 1, 3],
  ]);
  expect(answer.previous?.points[0]?.value).toBe(3);
  // unique_users: each series its own estimate (exact this small); they need not add up to the total.
  const users = await breakdown({
    event_type: eventType,
    metric: 'unique_users',
    interval: '1h',
    from: new Date(hour).toISOString(),
    to: new Date(hour + 2 * HOUR).toISOString(),
    breakdown: 'c',
  });
  expect(users.source).toBe('raw');
  // Every builder event has user u1: one user in each series, one in the total.
  expect(users.series.map((s) => [s.value, s.total, s.points.map((p) => p.value)])).toEqual([
    ['DE', 1, [0, 1]],
    ['FR', 1, [1, 1]],
    ['US', 1, [1, 0]],
  ]);
  expect(users.points.map((p) => p.value)).toEqual([1, 1]);

  // 5 001 events in range with BREAKDOWN_MAX_RAW_ROWS=5000.
  const many = Array.from({ length: 5_001 }, (_, i) =>
    rawEvent(tenant, { eventType: 'big', timestampMs: hour + (i % 3600) * 1000, properties: { c: String(i) } }),
  );
  await deliver(many);
  const err = await breakdown({
    event_type: 'big',
    interval: '1h',
    from: new Date(hour).toISOString(),
    to: new Date(hour + HOUR).toISOString(),
    breakdown: 'c',
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ code: 'breakdown_too_large' });
  expect((err as Error).message).toMatch(/shorter range.*dimensions/);
});

// The rollup source ranks from the coarsest buckets inside the range (docs/api.md#breakdowns): exact when no coarse
// bucket evicted a value, else it ranks from the range's own buckets. Ranges over whole hours with unaligned edges.
async function declaredType(eventType: string, fromMs: number) {
  await putCatalogType(env.adapters, who(['admin']), eventType, { project: 'web', dimensions: ['country'] });
  await env.adapters
    .sql`update event_dimensions set complete_from = ${new Date(fromMs)} where tenant_id = ${tenant.id} and event_type = ${eventType}`;
}
const eventsOf = (eventType: string, plain: { ts: number; v: unknown; amount?: number }[]) =>
  plain.map((p) =>
    rawEvent(tenant, {
      eventType,
      timestampMs: p.ts,
      userId: null,
      properties: {
        ...(p.v === undefined ? {} : { country: p.v }),
        ...(p.amount === undefined ? {} : { amount: p.amount }),
      },
    }),
  );
const evictedRows = async (eventType: string, interval: Interval) => {
  const [x] = await env.adapters.sql<{ n: number }[]>`
    select count(*)::int as n from dimension_cells c join event_dimensions d on d.id = c.dimension_id
    where d.tenant_id = ${tenant.id} and d.event_type = ${eventType} and c.interval = ${interval} and c.value_key = '$other'`;
  return x!.n;
};

let coarseRun = 0;
it('ranks from whole hours inside a range whose edges are not hour-aligned, as the reference', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          ms: fc.integer({ min: 0, max: 3 * HOUR - 1 }),
          // At most K values: no bucket evicts, so the hours inside the range rank.
          v: fc.constantFrom('DE', 'FR', '日本', undefined),
          cents: fc.option(fc.integer({ min: -100_000, max: 100_000 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 80 },
      ),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 59 }),
      fc.integer({ min: 1, max: 59 }),
      async (generated, limit, startMinute, endMinute) => {
        coarseRun += 1;
        const eventType = `coarse_${coarseRun}`;
        const hour = bucketStart(Date.now() - 4 * HOUR, '1h') - (coarseRun + 10) * 4 * HOUR;
        await declaredType(eventType, hour);
        const plain = generated.map((g) => ({
          ts: hour + g.ms,
          v: g.v,
          amount: g.cents === undefined ? undefined : g.cents / 100,
        }));
        await deliver(eventsOf(eventType, plain));
        expect(await evictedRows(eventType, '1h')).toBe(0);
        const fromMs = hour + startMinute * 60_000;
        const toMs = hour + 2 * HOUR + endMinute * 60_000;
        for (const interval of ['1m', '5m'] as const) {
          const buckets: number[] = [];
          for (let t = bucketStart(fromMs, interval); t < toMs; t += INTERVAL_MS[interval]) buckets.push(t);
          for (const metric of ['count', 'sum'] as const) {
            const answer = await breakdown({
              event_type: eventType,
              metric: metric === 'count' ? 'count' : 'sum:amount',
              interval,
              from: new Date(fromMs).toISOString(),
              to: new Date(toMs).toISOString(),
              breakdown: 'country',
              limit: String(limit),
            });
            expect(answer.source).toBe('rollup');
            expectSeriesAddUp(answer);
            expect(answer.series).toEqual(
              referenceSeries(plain, (ts) => bucketStart(ts, interval), buckets, metric, limit, K),
            );
          }
        }
      },
    ),
    { numRuns: 4, endOnFailure: true },
  );
}, 300_000);

it("ranks from the range's own buckets when a coarse bucket evicted a value (a value kept in its minutes only)", async () => {
  const eventType = 'coarse_evicted';
  const hour = bucketStart(Date.now() - 4 * HOUR, '1h') - 200 * HOUR;
  await declaredType(eventType, hour - HOUR);
  // K + 1 values in the hour: the one of largest key is evicted from the hour, but alone in minute 10 (and in its 5m
  // bucket) it is kept there, where it has the most events of all; minute 20 holds the K others.
  const values = ['DE', 'FR', 'US', 'JP'].sort((a, b) => byBytes(md5(a), md5(b)));
  const big = values[K]!;
  const plain = [
    ...Array.from({ length: 5 }, (_, i) => ({ ts: hour + 10 * 60_000 + i * 1000, v: big, amount: 1 })),
    ...values.slice(0, K).map((v, i) => ({ ts: hour + 20 * 60_000 + i * 1000, v, amount: 2 })),
  ];
  await deliver(eventsOf(eventType, plain));
  expect(await evictedRows(eventType, '1h')).toBeGreaterThan(0);
  expect(await evictedRows(eventType, '1m')).toBe(0);
  const fromMs = hour - 2 * 60_000;
  const toMs = hour + HOUR + 3 * 60_000;
  const buckets: number[] = [];
  for (let t = fromMs; t < toMs; t += 60_000) buckets.push(t);
  for (const metric of ['count', 'sum'] as const) {
    const answer = await breakdown({
      event_type: eventType,
      metric: metric === 'count' ? 'count' : 'sum:amount',
      interval: '1m',
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      breakdown: 'country',
      limit: '1',
    });
    expect(answer.source).toBe('rollup');
    expectSeriesAddUp(answer);
    expect(answer.series[0]!.value).toBe(big);
    expect(answer.series).toEqual(referenceSeries(plain, (ts) => bucketStart(ts, '1m'), buckets, metric, 1, K));
  }
});

// Storage shape (migration 020): one row per (dimension, interval, bucket, kept value / $other / $none) with its
// count and every numeric property's sum and n; a value's text once per dimension; no 10s rows.
it('stores one row per bucket and value holding every metric, value texts once per dimension, no 10s rows', async () => {
  const eventType = 'shape';
  const hour = bucketStart(Date.now() - 4 * HOUR, '1h') - 300 * HOUR;
  await declaredType(eventType, hour);
  const long = 'x'.repeat(300);
  const at = (minute: number, i: number) => hour + minute * 60_000 + i * 1000;
  const events = [
    ...[0, 1, 2].map((i) =>
      rawEvent(tenant, { eventType, timestampMs: at(0, i), properties: { country: 'DE', amount: 1.5, items: i } }),
    ),
    rawEvent(tenant, { eventType, timestampMs: at(0, 3), properties: { country: 'DE', amount: 2 } }),
    rawEvent(tenant, { eventType, timestampMs: at(0, 4), properties: { country: 'FR', amount: 'n/a' } }),
    rawEvent(tenant, { eventType, timestampMs: at(0, 5), properties: { amount: 7 } }),
    rawEvent(tenant, { eventType, timestampMs: at(1, 0), properties: { country: 'DE' } }),
    ...[1, 2].map((i) => rawEvent(tenant, { eventType, timestampMs: at(1, i), properties: { country: long } })),
  ];
  await deliver(events);
  await deliver(events); // a replay changes nothing
  const dims = env.adapters.sql`
    select id from event_dimensions where tenant_id = ${tenant.id} and event_type = ${eventType}`;
  const shape = await env.adapters.sql<{ interval: string; rows: number; pairs: number }[]>`
    select interval, count(*)::int as rows, count(distinct (bucket_start, value_key))::int as pairs
    from dimension_cells where dimension_id in (${dims}) group by interval order by interval`;
  // 1m: minute 0 holds DE, FR and $none, minute 1 DE and the long value; 5m, 1h and 1d: the four of them.
  expect(shape).toEqual([
    { interval: '1d', rows: 4, pairs: 4 },
    { interval: '1h', rows: 4, pairs: 4 },
    { interval: '1m', rows: 5, pairs: 5 },
    { interval: '5m', rows: 4, pairs: 4 },
  ]);
  const columns = await env.adapters.sql<{ column_name: string }[]>`
    select column_name from information_schema.columns where table_name = 'dimension_cells' order by ordinal_position`;
  expect(columns.map((c) => c.column_name)).toEqual([
    'dimension_id',
    'interval',
    'bucket_start',
    'value_key',
    'count',
    'nums',
  ]);
  const texts = await env.adapters.sql<{ value: string; value_key: string }[]>`
    select value, value_key from dimension_values where dimension_id in (${dims}) order by value`;
  expect(texts).toEqual(['DE', 'FR', long].sort().map((value) => ({ value, value_key: md5(value) })));
  const de = await env.adapters.sql<{ count: string; nums: string }[]>`
    select count::text as count, nums::text as nums from dimension_cells
    where dimension_id in (${dims}) and interval = '1m' and bucket_start = ${new Date(hour)} and value_key = ${md5('DE')}`;
  expect(de).toEqual([{ count: '4', nums: '{"items": [3, 3], "amount": [6.5, 4]}' }]);
  const none = await env.adapters.sql<{ count: string; nums: string }[]>`
    select count::text as count, nums::text as nums from dimension_cells
    where dimension_id in (${dims}) and interval = '1h' and value_key = '$none'`;
  expect(none).toEqual([{ count: '1', nums: '{"amount": [7, 1]}' }]);
});

it('a declared dimension answers from raw events for buckets before its rollups are complete, never a mix', async () => {
  const eventType = 'fresh_decl';
  const hour = bucketStart(Date.now() - 2 * HOUR, '1h');
  await deliver([rawEvent(tenant, { eventType, timestampMs: hour, properties: { plan: 'pro', amount: 1.25 } })]);
  await putCatalogType(env.adapters, who(['admin']), eventType, { project: 'web', dimensions: ['plan'] });
  await deliver([
    rawEvent(tenant, { eventType, timestampMs: hour + 1000, properties: { plan: 'pro' } }),
    rawEvent(tenant, { eventType, timestampMs: hour + 2000, properties: { plan: 'free', amount: 0.5 } }),
    rawEvent(tenant, { eventType, timestampMs: hour + 3000, properties: { plan: 'pro', amount: 2 } }),
  ]);
  const q = {
    event_type: eventType,
    interval: '1h',
    from: new Date(hour).toISOString(),
    to: new Date(hour + HOUR).toISOString(),
    breakdown: 'plan',
  };
  const t = new Date(hour).toISOString();
  const before = await breakdown(q);
  expect(before.source).toBe('raw');
  expect(before.series).toEqual([
    { value: 'pro', total: 3, points: [{ t, value: 3 }] },
    { value: 'free', total: 1, points: [{ t, value: 1 }] },
  ]);
  const avgBefore = await breakdown({ ...q, metric: 'avg:amount' });
  expect(avgBefore.series.map((s) => [s.value, s.total])).toEqual([
    ['pro', 1.625],
    ['free', 0.5],
  ]);
  expect(avgBefore.points[0]!.value).toBeCloseTo(3.75 / 3, 12);
  // A rebuild backfills the day from raw events and moves complete_from back: then the rollups answer, the same.
  // (Up to two days ahead, so the range reaches complete_from whatever the time of day.)
  await rebuildRange(env.adapters, {
    fromMs: bucketStart(hour, '1d'),
    toMs: Date.now() + 2 * 24 * HOUR,
    tenantId: tenant.id,
  });
  const after = await breakdown(q);
  expect(after.source).toBe('rollup');
  expect(after.series).toEqual(before.series);
  const avgAfter = await breakdown({ ...q, metric: 'avg:amount' });
  expect(avgAfter.source).toBe('rollup');
  expect({ ...avgAfter, source: 'raw', data_as_of: null }).toEqual({ ...avgBefore, data_as_of: null });
});

describe('catalog dimensions', () => {
  const put = (body: unknown) => putCatalogType(env.adapters, who(['admin']), 'dims', body);
  it.each([
    [{ project: 'web', dimensions: ['a', 'b', 'c', 'd', 'e', 'f'] }, /at most 5 dimensions/],
    [{ project: 'web', dimensions: ['a', 'a'] }, /must not repeat/],
    [{ project: 'web', dimensions: ['a.b'] }, /without a dot/],
    [{ project: 'web', dimensions: [''] }, /top-level property names/],
    [{ project: 'web', dimensions: 'country' }, /dimensions/],
    [{ project: 'web', dimensions: [1] }, /dimensions/],
    [{ project: 'web', dimensions: ['\u200bzero'] }, /printable/],
  ])('refuses %j with a clear 400', async (body, message) => {
    const err = await put(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).kind).toBe('invalid');
    expect((err as Error).message).toMatch(message);
  });

  it('declares, shows, replaces and removes dimensions', async () => {
    const { entry } = await put({ project: 'web', dimensions: ['plan', 'country'] });
    expect(entry).toMatchObject({ dimensions: ['country', 'plan'] });
    const rollupsFrom = (entry as { dimension_rollups_from: Record<string, string> }).dimension_rollups_from;
    expect(Date.parse(rollupsFrom.plan!)).toBeGreaterThan(Date.now() + env.config.limits.maxFutureSkewMs);
    const view = await getCatalog(env.adapters, who(['read']), new URLSearchParams({ event_type: 'dims' }));
    expect(view.projects[0]!.event_types[0]).toMatchObject({ dimensions: ['country', 'plan'] });
    await put({ project: 'web', dimensions: ['plan'] });
    const again = await put({ project: 'web', dimensions: ['plan'] });
    expect((again.entry as { dimension_rollups_from: Record<string, string> }).dimension_rollups_from.plan).toBe(
      rollupsFrom.plan,
    );
    expect((await put({ project: 'web' })).entry).toMatchObject({ dimensions: ['plan'] });
    expect((await put({ project: 'web', dimensions: [] })).entry).toMatchObject({ dimensions: [] });
  });
});
