import { AppError } from './errors';
import {
  breakdownSource,
  checkBreakdownReach,
  DEFAULT_BREAKDOWN_LIMIT,
  parseBreakdown,
  pointsFromParts,
  rankSeries,
  seriesOf,
  type BreakdownParts,
} from './breakdown';
import type { RawBucket } from './metric-query';
import { parseTimeZone, UTC_ZONE } from './timezone';

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
    breakdown: ['c'],
    firstBucketMs: 1000,
  };
  const both = [
    { projectId: 'p1', dimension: 'c', completeFromMs: 1000 },
    { projectId: 'p2', dimension: 'c', completeFromMs: 500 },
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
