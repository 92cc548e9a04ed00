import { AppError } from './errors';
import {
  breakdownSource,
  checkBreakdownReach,
  DEFAULT_BREAKDOWN_LIMIT,
  parseBreakdown,
  pointsFromParts,
  rankingSpans,
  rankSeries,
  seriesOf,
  type BreakdownParts,
} from './breakdown';
import type { RawBucket } from './metric-query';
import fc from 'fast-check';
import { INTERVALS, INTERVAL_MS } from './intervals';
import { bucketsIn, parseTimeZone, UTC_ZONE } from './timezone';

const refused = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof AppError ? [e.code, e.message] : ['not an AppError', String(e)];
  }
  return null;
};

describe('parseBreakdown', () => {
  it('reads a path and a limit (default 10)', () => {
    expect(parseBreakdown(null, null)).toBeNull();
    expect(parseBreakdown('country', null)).toEqual({ path: ['country'], limit: DEFAULT_BREAKDOWN_LIMIT });
    expect(parseBreakdown('plan.tier', '100')).toEqual({ path: ['plan', 'tier'], limit: 100 });
    expect(parseBreakdown('e\u0301', '1')).toEqual({ path: ['\u00e9'], limit: 1 });
  });
  it.each([
    [null, '5', /limit applies to breakdowns/],
    ['', null, /property path/],
    ['a..b', null, /property path/],
    ['a.b.c.d.e.f.g', null, /at most 6 levels/],
    ['x'.repeat(1001), null, /1000 characters/],
    ['a', '0', /from 1 to 100/],
    ['a', '101', /from 1 to 100/],
    ['a', '1e1', /whole number/],
    ['a', '', /whole number/],
    ['a', '0010', /whole number/],
  ])('refuses breakdown=%j limit=%j with a 400 that says how to fix it', (path, limit, message) => {
    const r = refused(() => parseBreakdown(path, limit));
    expect(r?.[0]).toBe('invalid_parameter');
    expect(r?.[1]).toMatch(message);
  });
});

describe('breakdownSource', () => {
  const q = {
    kind: 'count' as const,
    path: null,
    props: [],
    projectIds: ['p1', 'p2'],
    interval: '1m' as const,
    breakdown: ['c'],
    firstBucketMs: 1000,
  };
  const both = [
    { id: '1', projectId: 'p1', dimension: 'c', completeFromMs: 1000 },
    { id: '2', projectId: 'p2', dimension: 'c', completeFromMs: 500 },
  ];
  it('reads rollups only when every project declares the dimension and every bucket is complete', () => {
    expect(breakdownSource(q, both)).toBe('rollup');
    expect(breakdownSource({ ...q, kind: 'sum', path: ['amount'] }, both)).toBe('rollup');
    expect(breakdownSource({ ...q, firstBucketMs: 999 }, both)).toBe('raw');
    expect(breakdownSource(q, both.slice(0, 1))).toBe('raw');
    expect(breakdownSource({ ...q, props: [[['x'], 'y']] }, both)).toBe('raw');
    expect(breakdownSource({ ...q, kind: 'unique_users' }, both)).toBe('raw');
    expect(breakdownSource({ ...q, kind: 'p50', path: ['amount'] }, both)).toBe('raw');
    expect(breakdownSource({ ...q, kind: 'sum', path: ['a', 'b'] }, both)).toBe('raw');
    expect(breakdownSource({ ...q, breakdown: ['c', 'd'] }, both)).toBe('raw');
  });
  it('reads 10s breakdowns from raw events (no 10s dimension rows), every other interval from rollups', () => {
    expect(breakdownSource({ ...q, interval: '10s' }, both)).toBe('raw');
    for (const interval of ['1m', '5m', '1h', '1d'] as const)
      expect(breakdownSource({ ...q, interval }, both)).toBe('rollup');
  });
});

describe('series', () => {
  const part = (count: number, sum: string): RawBucket => ({ count, uniqueUsers: 0, sum, n: String(count) });
  const parts: BreakdownParts = {
    buckets: new Map([
      ['DE', new Map([[0, part(2, '0.1')]])],
      [
        '$other',
        new Map([
          [0, part(1, '0.2')],
          [60, part(1, '1')],
        ]),
      ],
      ['$none', new Map([[60, part(3, '0')]])],
    ]),
    totals: new Map([
      ['DE', part(2, '0.1')],
      ['$other', part(2, '1.2')],
      ['$none', part(3, '0')],
    ]),
  };
  it('ranks by total descending, ties by UTF-8 bytes (not UTF-16 units), specials never ranked', () => {
    const totals = new Map<string, number | null>([
      ['\u{1F600}', 5],
      ['\uFF21', 5],
      ['b', 7],
      ['n', null],
      ['$other', 99],
    ]);
    expect(rankSeries(totals, 10)).toEqual(['b', '\uFF21', '\u{1F600}', 'n']);
    expect(rankSeries(totals, 2)).toEqual(['b', '\uFF21']);
  });
  it('zero-fills every series, appends $other and $none, and the points are the exact sum of the parts', () => {
    const s = seriesOf('sum', ['DE'], parts, [0, 60], 0);
    expect(s.map((x) => [x.value, x.total, x.points.map((p) => p.value)])).toEqual([
      ['DE', 0.1, [0.1, 0]],
      ['$other', 1.2, [0.2, 1]],
      ['$none', 0, [0, 0]],
    ]);
    expect(pointsFromParts('sum', parts, [0, 60, 120], 0).map((p) => p.value)).toEqual([0.3, 1, 0]);
    expect(pointsFromParts('count', parts, [0, 60], 0).map((p) => p.value)).toEqual([3, 4]);
    expect(pointsFromParts('avg', parts, [0, 60], null).map((p) => p.value)).toEqual([0.1, 0.25]);
  });
});

describe('checkBreakdownReach', () => {
  // Raw retention 300 days on this clock: the oldest event kept is at 2026-01-10T00:00Z.
  const nowMs = Date.parse('2026-11-06T00:00:00Z');
  const retentionMs = 300 * 86_400_000;
  const at = (iso: string) => Date.parse(iso);
  const berlin = parseTimeZone('Europe/Berlin');
  const reach = (q: Parameters<typeof checkBreakdownReach>[0]) =>
    refused(() => checkBreakdownReach(q, ['country'], retentionMs, nowMs));

  it('follows the tenant zone: a local day starting before the oldest kept event is refused, with a from that works', () => {
    const q = { fromMs: at('2026-01-10T00:30:00Z'), toMs: at('2026-01-12T00:00:00Z'), interval: '1d' as const };
    // In UTC the day starts at the oldest kept instant: accepted.
    expect(reach({ ...q, zone: UTC_ZONE })).toBeNull();
    // In Berlin the local day 10 January starts at 2026-01-09T23:00Z: its first hour is gone.
    const err = reach({ ...q, zone: berlin });
    expect(err?.[0]).toBe('beyond_retention');
    expect(err?.[1]).toMatch(/starts at 2026-01-09T23:00:00.000Z.*Give from=2026-01-10T23:00:00.000Z or later/);
    expect(reach({ ...q, fromMs: at('2026-01-10T23:00:00Z'), zone: berlin })).toBeNull();
  });

  it('with compare=previous, the previous range of local days', () => {
    // Main: local days 11 and 12 January; previous: 9 and 10 January (from 2026-01-08T23:00Z), too early.
    const q = {
      fromMs: at('2026-01-10T23:00:00Z'),
      toMs: at('2026-01-12T23:00:00Z'),
      interval: '1d' as const,
      compare: 'previous' as const,
      zone: berlin,
    };
    const err = reach(q);
    expect(err?.[1]).toMatch(/starts at 2026-01-08T23:00:00.000Z.*Give from=2026-01-12T23:00:00.000Z or later/);
    expect(reach({ ...q, fromMs: at('2026-01-12T23:00:00Z'), toMs: at('2026-01-14T23:00:00Z') })).toBeNull();
  });
});

describe('rankingSpans', () => {
  const zones = ['UTC', 'Asia/Kathmandu', 'America/New_York', 'Australia/Lord_Howe'].map((n) =>
    n === 'UTC' ? UTC_ZONE : parseTimeZone(n),
  );
  const fine = ['10s', '1m', '5m', '1h', '1d'] as const;

  it('holds every bucket of the range exactly once, each span in whole buckets of its interval, coarsest inside', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom(...fine),
        // Ranges over DST changes (2026-03-08 New York, 2026-04-05 Lord Howe) and of up to ~40 days.
        fc.integer({ min: Date.UTC(2026, 2, 1), max: Date.UTC(2026, 3, 10) }),
        fc.integer({ min: 0, max: 40 * 86_400_000 }),
        (zone, interval, a, length) => {
          const z = bucketsIn(zone);
          const buckets = z.range(a, a + Math.min(length, INTERVAL_MS[interval] * 5000), interval);
          fc.pre(buckets.length > 0);
          const fromMs = buckets[0]!;
          const toMs = z.next(buckets[buckets.length - 1]!, interval);
          const spans = rankingSpans(fromMs, toMs, interval, zone);
          const covered: number[] = [];
          for (const s of spans) {
            // Whole buckets of the span's interval, each nesting whole `interval` buckets.
            expect(z.start(s.fromMs, s.interval)).toBe(s.fromMs);
            expect(z.start(s.toMs, s.interval)).toBe(s.toMs);
            for (const b of z.range(s.fromMs, s.toMs, interval)) if (b >= s.fromMs && b < s.toMs) covered.push(b);
          }
          expect(covered).toEqual(buckets);
          // Contiguous and in order; a span never fits a whole bucket of a coarser interval than its own.
          spans.forEach((s, i) => expect(s.fromMs).toBe(i === 0 ? fromMs : spans[i - 1]!.toMs));
          expect(spans[spans.length - 1]!.toMs).toBe(toMs);
          for (const s of spans)
            for (const c of INTERVALS.filter((i) => INTERVAL_MS[i] > INTERVAL_MS[s.interval]))
              expect(z.range(s.fromMs, s.toMs, c).some((b) => b >= s.fromMs && z.next(b, c) <= s.toMs)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 24 h range of 1m buckets not aligned to hours: whole hours inside, 5m and 1m at the edges', () => {
    const at = (iso: string) => Date.parse(iso);
    const spans = rankingSpans(at('2026-01-05T10:17:00Z'), at('2026-01-06T10:17:00Z'), '1m', UTC_ZONE);
    expect(spans.map((s) => [s.interval, new Date(s.fromMs).toISOString(), new Date(s.toMs).toISOString()])).toEqual([
      ['1m', '2026-01-05T10:17:00.000Z', '2026-01-05T10:20:00.000Z'],
      ['5m', '2026-01-05T10:20:00.000Z', '2026-01-05T11:00:00.000Z'],
      ['1h', '2026-01-05T11:00:00.000Z', '2026-01-06T10:00:00.000Z'],
      ['5m', '2026-01-06T10:00:00.000Z', '2026-01-06T10:15:00.000Z'],
      ['1m', '2026-01-06T10:15:00.000Z', '2026-01-06T10:17:00.000Z'],
    ]);
  });
});
