// Path agreement (docs/api.md#whole-buckets): GET /v1/metrics answers from the rollups (no filter, pre-aggregated
// sum/avg) or from raw events (property filters, nested paths). For generated from/to/interval combinations over events
// at bucket edges and in the future, both paths give the same points, and both equal a model that counts every event of
// each whole bucket overlapping [from, to). Also: numeric property filters compare as numbers
// (docs/api.md#property-filters), in the metrics and in the explorer.
import fc from 'fast-check';
import { useTestEnv, type TestTenant } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import { bucketRange, bucketStart, INTERVAL_MS, INTERVALS, type Interval } from '../../core/intervals';
import type { RawEvent } from '../../core/raw-event';
import type { Principal } from '../../core/api-keys';
import { parseMetricsQuery, readMetric } from './metrics';
import { exploreEvents } from './explorer';

const SEED = Number(process.env.PATH_AGREEMENT_SEED ?? 20261205);
const RUNS = Number(process.env.PATH_AGREEMENT_RUNS ?? 60);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const { env, tenant } = useTestEnv('pathagree', { tenants: 1 });
let reader: Principal;
/** The clock of every query: fixed, so that the default `to` and the 10 s reach are reproducible. */
let NOW: number;
let events: RawEvent[];

/** Amounts in thousandths, so the model's sums are exact integers. */
const AMOUNTS_MILLI = [100, 2_500, -3_000, 10_000, 1, 0];

beforeAll(async () => {
  reader = { tenantId: tenant.id, keyId: 'test', scopes: ['read'], projectId: null, projectSlug: null };
  NOW = Date.now();
  // Events at and around the edges of every interval's buckets near NOW (−1 ms, on, +1 ms, mid), across yesterday
  // and today, and ahead of NOW: 30 min, 90 min (future-stamped, as the ingest's allowed skew lets through).
  const edges = new Set<number>();
  for (const interval of INTERVALS) {
    const b = bucketStart(NOW, interval);
    for (const k of [-2, -1, 0, 1]) edges.add(b + k * INTERVAL_MS[interval]);
  }
  edges.add(bucketStart(NOW, '1d') - DAY);
  const times: number[] = [NOW + 30 * MIN, NOW + 90 * MIN, NOW];
  for (const e of edges) for (const d of [-1, 0, 1, 5_000, 29 * MIN]) times.push(e + d);
  const extra = fc.sample(fc.integer({ min: bucketStart(NOW, '1d') - DAY, max: NOW + 2 * HOUR }), {
    numRuns: 150,
    seed: SEED,
  });
  times.push(...extra);
  events = times.map((t, i) => {
    const amount = AMOUNTS_MILLI[i % AMOUNTS_MILLI.length]!;
    // Every 7th event has no amount (avg counts only events having it); every 5th has no user.
    const properties: Record<string, unknown> = {
      all: 'yes',
      k: i % 3 === 0 ? 'a' : 'b',
      ...(i % 7 === 6 ? {} : { amount: amount / 1000 }),
    };
    return rawEvent(tenant, {
      eventType: 'edge',
      userId: i % 5 === 4 ? null : `u${i % 23}`,
      timestampMs: t,
      receivedAtMs: NOW,
      properties,
    });
  });
  await createAggregateHandler(env.adapters)(mskBatch(env.config.kafka.topics.eventsRaw, events));
}, 120_000);

async function points(query: Record<string, string>) {
  const q = parseMetricsQuery(new URLSearchParams(query), NOW);
  return (await readMetric(env.adapters, reader, q)).points as { t: string; value: number | null }[];
}

async function flushRedis() {
  const keys = await env.adapters.redis.keys(`{${tenant.id}}:rollup:*`);
  if (keys.length > 0) await env.adapters.redis.del(...keys);
}

/** The model: per whole bucket overlapping [from, to), the count and the exact sum of the matching events. */
function model(
  interval: Interval,
  fromMs: number,
  toMs: number,
  match: (e: RawEvent) => boolean,
  metric: 'count' | 'sum',
) {
  return bucketRange(fromMs, toMs, interval).map((b) => {
    const inBucket = events.filter((e) => bucketStart(e.timestampMs, interval) === b && match(e));
    const value =
      metric === 'count'
        ? inBucket.length
        : inBucket.reduce((s, e) => s + Math.round(((e.properties.amount as number | undefined) ?? 0) * 1000), 0) /
          1000;
    return { t: new Date(b).toISOString(), value };
  });
}

/** A time near a bucket edge of some interval, or NOW, or in the future. */
const timeArb = fc.oneof(
  fc
    .record({
      base: fc.constantFrom(...INTERVALS),
      k: fc.integer({ min: -30, max: 10 }),
      d: fc.constantFrom(-1, 0, 1, 4_999, 30 * MIN),
    })
    .map(({ base, k, d }) => bucketStart(NOW, base) + k * INTERVAL_MS[base] + d),
  fc.constantFrom(0, 1, -1, 30 * MIN, 2 * HOUR).map((d) => NOW + d),
  fc.integer({ min: -DAY - HOUR, max: 3 * HOUR }).map((d) => NOW + d),
);

const queryArb = fc.record({
  interval: fc.constantFrom(...INTERVALS),
  from: timeArb,
  to: fc.option(timeArb, { nil: undefined }),
  metric: fc.constantFrom('count', 'sum:amount', 'avg:amount', 'unique_users'),
  flush: fc.boolean(),
});

describe('path agreement', () => {
  it('the rollup path and the raw path give the same points, equal to the whole-bucket model, for generated ranges', async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(queryArb, async ({ interval, from, to, metric, flush }) => {
        const toMs = to ?? NOW;
        // Valid queries only: from < to, the 10 s reach (24 h), and at most 10 000 buckets.
        fc.pre(
          from < toMs &&
            !(interval === '10s' && from < NOW - 20 * HOUR) &&
            bucketRange(from, toMs, interval).length <= 10_000,
        );
        const base = {
          event_type: 'edge',
          interval,
          metric,
          from: String(from),
          ...(to === undefined ? {} : { to: String(to) }),
        };
        if (flush) await flushRedis();
        const rollup = await points(base);
        const raw = await points({ ...base, 'prop.all': 'yes' });
        expect(raw).toEqual(rollup);
        if (metric === 'count' || metric === 'sum:amount') {
          const kind = metric === 'count' ? 'count' : 'sum';
          expect(rollup).toEqual(model(interval, from, toMs, () => true, kind));
          // A filter that selects some events: the raw path against the model.
          expect(await points({ ...base, 'prop.k': 'a' })).toEqual(
            model(interval, from, toMs, (e) => e.properties.k === 'a', kind),
          );
        }
        checked++;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(checked).toBeGreaterThan(RUNS / 2);
  }, 300_000);

  it('counts an event stamped 30 min ahead alike with and without a filter (the reported case)', async () => {
    const hourAhead = bucketStart(NOW + 30 * MIN, '1h');
    const q = { event_type: 'edge', interval: '1h', from: String(hourAhead), to: String(hourAhead + 1) };
    const plain = await points(q);
    expect(plain).toEqual(model('1h', hourAhead, hourAhead + 1, () => true, 'count'));
    expect(plain[0]!.value).toBeGreaterThan(0);
    expect(await points({ ...q, 'prop.all': 'yes' })).toEqual(plain);
    const day = bucketStart(NOW, '1d');
    const sums = {
      event_type: 'edge',
      interval: '1d',
      metric: 'sum:amount',
      from: String(day),
      to: String(day + HOUR),
    };
    expect(await points({ ...sums, 'prop.all': 'yes' })).toEqual(await points(sums));
  });
});

describe('numeric property filters', () => {
  let numeric: TestTenant;
  const HOUR_START = () => bucketStart(NOW - 2 * HOUR, '1h');

  beforeAll(async () => {
    numeric = await env.createTenant();
    const at = HOUR_START() + MIN;
    const values: unknown[] = [0.1, '0.10', '0.1', 1000, '1e3', -0, 0, true, 'true', { a: 1 }];
    await createAggregateHandler(env.adapters)(
      mskBatch(
        env.config.kafka.topics.eventsRaw,
        values.map((v, i) => rawEvent(numeric, { eventType: 'num', timestampMs: at + i, properties: { v, n: { v } } })),
      ),
    );
  });

  const who = () => ({
    tenantId: numeric.id,
    keyId: 'test',
    scopes: ['read' as const],
    projectId: null,
    projectSlug: null,
  });
  async function count(value: string, key = 'prop.v') {
    const q = parseMetricsQuery(
      new URLSearchParams({
        event_type: 'num',
        interval: '1h',
        from: String(HOUR_START()),
        to: String(HOUR_START() + HOUR),
        [key]: value,
      }),
      NOW,
    );
    return (await readMetric(env.adapters, who(), q)).points[0]!.value;
  }
  async function listed(value: string, key = 'prop.v') {
    // The explorer may answer a short page with a cursor when its scan budget runs out: follow it (bounded).
    const out: unknown[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const params = new URLSearchParams({
        event_type: 'num',
        [key]: value,
        limit: '100',
        ...(cursor ? { cursor } : {}),
      });
      const res = await exploreEvents(env.adapters, who(), params);
      out.push(...res.events.map((e) => (e.properties as { v: unknown }).v));
      cursor = res.next_cursor;
      if (cursor === null) return out;
    }
    throw new Error('more than 100 explorer pages');
  }

  it.each([
    // value, matches (the property values, in any order)
    ['0.10', [0.1, '0.10']],
    ['0.1', [0.1, '0.1']],
    ['1e3', [1000, '1e3']],
    ['1000.0', [1000]],
    ['0', [0, 0]],
    ['-0', [0, 0]],
    ['true', [true, 'true']],
    ['{"a": 1}', [{ a: 1 }]],
    ['.1', []],
    ['0.1 ', []],
  ])('prop.v=%j matches %j, in the metrics (top level and nested) and in the explorer', async (value, expected) => {
    expect(await count(value)).toBe(expected.length);
    expect(await count(value, 'prop.n.v')).toBe(expected.length);
    const sort = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    expect(sort(await listed(value))).toEqual(sort(expected));
    expect(sort(await listed(value, 'prop.n.v'))).toEqual(sort(expected));
  });
});
