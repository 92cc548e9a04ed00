import fc from 'fast-check';
import {
  coveredSpan,
  emptyValue,
  isPercentile,
  percentileValue,
  metricPoints,
  metricRange,
  parseInterval,
  parseMetric,
  rawBucketValue,
  readsRawEvents,
  type MetricReader,
  type MetricSeries,
  type MetricsQuery,
} from './metric-query';
import { bucketCount, INTERVALS, type Interval } from './intervals';
import { RELATIVE_ACCURACY, sketchOf } from './quantile-sketch';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 5);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const bad = (code: string, message: string | RegExp) =>
  expect.objectContaining({
    kind: 'invalid',
    code,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
const range = (fromMs: number | undefined, toMs: number | undefined, interval: Interval = '1m') =>
  metricRange({ fromMs, toMs, interval }, NOW);

describe('parseMetric', () => {
  it('names count and unique_users without a path, sum:/avg: with the path split at dots, in NFC', () => {
    expect(parseMetric('count')).toEqual({ kind: 'count', path: null });
    expect(parseMetric('unique_users')).toEqual({ kind: 'unique_users', path: null });
    expect(parseMetric('sum:amount')).toEqual({ kind: 'sum', path: ['amount'] });
    expect(parseMetric('avg:order.total')).toEqual({ kind: 'avg', path: ['order', 'total'] });
    expect(parseMetric('sum:cafe\u0301')).toEqual({ kind: 'sum', path: ['caf\u00e9'] });
    expect(parseMetric('sum:a.b.c.d.e.f').path).toHaveLength(6);
  });

  it.each(['sum:a..b', 'avg:.a', 'sum:a.', 'sum:a.b.c.d.e.f.g'])('refuses the path of %j', (m) => {
    expect(() => parseMetric(m)).toThrow(
      bad('invalid_parameter', /the property path must be <name> or <a>\.<b> \(at most 6 levels\)\.$/),
    );
  });

  it('names the percentiles p50/p90/p95/p99 with a path like sum:/avg:', () => {
    expect(parseMetric('p50:latency')).toEqual({ kind: 'p50', path: ['latency'] });
    expect(parseMetric('p90:a.b')).toEqual({ kind: 'p90', path: ['a', 'b'] });
    expect(parseMetric('p95:x')).toEqual({ kind: 'p95', path: ['x'] });
    expect(parseMetric('p99:x')).toEqual({ kind: 'p99', path: ['x'] });
    expect(() => parseMetric('p99:a..b')).toThrow(bad('invalid_parameter', /at most 6 levels/));
  });

  it.each(['', 'max:a', 'sum:', 'Count', 'ratio', 'anomaly', 'p75:a', 'p99:', 'P95:a'])(
    'refuses the metric %j',
    (m) => {
      expect(() => parseMetric(m)).toThrow(
        bad(
          'invalid_parameter',
          'metric must be count, unique_users, sum:<path>, avg:<path>, p50:<path>, p90:<path>, p95:<path> or p99:<path>.',
        ),
      );
    },
  );

  it('quotes at most 100 characters of a refused path', () => {
    const long = `sum:${'x'.repeat(300)}..`;
    const message = `${JSON.stringify(long.slice(0, 100))}: the property path must be <name> or <a>.<b> (at most 6 levels).`;
    expect(() => parseMetric(long)).toThrow(bad('invalid_parameter', message));
  });
});

describe('parseInterval', () => {
  it('defaults to 1m and takes every interval', () => {
    expect(parseInterval(null)).toBe('1m');
    for (const i of INTERVALS) expect(parseInterval(i)).toBe(i);
  });
  it.each(['', '1s', '2m', '1H', '1w'])('refuses %j', (i) => {
    expect(() => parseInterval(i)).toThrow(bad('invalid_parameter', 'interval must be one of 10s, 1m, 5m, 1h, 1d.'));
  });
});

describe('metricRange', () => {
  it('defaults to the hour before now, or before `to`', () => {
    expect(range(undefined, undefined)).toEqual({ fromMs: NOW - HOUR, toMs: NOW });
    expect(range(undefined, NOW - 5 * HOUR)).toEqual({ fromMs: NOW - 6 * HOUR, toMs: NOW - 5 * HOUR });
    expect(range(NOW - 2 * HOUR, undefined, '1h')).toEqual({ fromMs: NOW - 2 * HOUR, toMs: NOW });
  });

  it('refuses an empty range', () => {
    expect(() => range(NOW, NOW)).toThrow(bad('invalid_parameter', 'from must be earlier than to.'));
    expect(() => range(NOW + 1, undefined)).toThrow(bad('invalid_parameter', 'from must be earlier than to.'));
  });

  it('reaches 24 h back with 10s buckets, no further', () => {
    expect(range(NOW - 24 * HOUR, NOW - 23 * HOUR, '10s')).toEqual({ fromMs: NOW - 24 * HOUR, toMs: NOW - 23 * HOUR });
    expect(() => range(NOW - 24 * HOUR - 1, NOW - 23 * HOUR, '10s')).toThrow(
      bad('invalid_parameter', 'interval 10s covers only the last 24 h; use 1m or larger for older ranges.'),
    );
    expect(range(NOW - 48 * HOUR, NOW - 47 * HOUR).fromMs).toBe(NOW - 48 * HOUR);
  });

  it('takes 10,000 buckets and refuses more, naming the count', () => {
    const start = Date.UTC(2026, 0, 1);
    expect(range(start, start + 10_000 * 60_000)).toEqual({ fromMs: start, toMs: start + 10_000 * 60_000 });
    expect(() => range(start, start + 10_000 * 60_000 + 1)).toThrow(
      bad(
        'too_many_buckets',
        'The range holds 10001 buckets of 1m; the maximum is 10000. Use a larger interval or a shorter range.',
      ),
    );
  });

  it('every range it accepts is non-empty and holds at most 10,000 buckets', () => {
    const starts = fc.integer({ min: -40 * DAY, max: DAY });
    fc.assert(
      fc.property(
        starts,
        fc.integer({ min: 1, max: 40 * DAY }),
        fc.constantFrom(...INTERVALS),
        (from, len, interval) => {
          try {
            const r = range(NOW + from, NOW + from + len, interval);
            expect(r.fromMs).toBeLessThan(r.toMs);
            expect(bucketCount(r.fromMs, r.toMs, interval)).toBeLessThanOrEqual(10_000);
          } catch (e) {
            expect(e).toMatchObject({ kind: 'invalid' });
          }
        },
      ),
    );
  });
});

describe('coveredSpan', () => {
  it('is [first bucket, end of the last bucket), or the range itself without buckets', () => {
    const q = { fromMs: 65_000, toMs: 185_000, interval: '1m' as const };
    expect(coveredSpan([60_000, 120_000, 180_000], q)).toEqual({ fromMs: 60_000, toMs: 240_000 });
    expect(coveredSpan([], q)).toEqual({ fromMs: 65_000, toMs: 185_000 });
  });
});

describe('bucket values', () => {
  const b = { count: 3, uniqueUsers: 2, sum: '10.5', n: '2' };
  it('takes the kind from a raw bucket; avg of nothing is null', () => {
    expect(rawBucketValue('count', b)).toBe(3);
    expect(rawBucketValue('unique_users', b)).toBe(2);
    expect(rawBucketValue('sum', b)).toBe(10.5);
    expect(rawBucketValue('avg', b)).toBe(5.25);
    expect(rawBucketValue('avg', { ...b, sum: '0', n: '0' })).toBeNull();
    expect(emptyValue('avg')).toBeNull();
    expect(emptyValue('count')).toBe(0);
    expect(emptyValue('sum')).toBe(0);
  });

  it("takes a percentile of the bucket's sketch: the extremes exact, others within the bound, nothing is null", () => {
    const values = Array.from({ length: 101 }, (_, i) => 1 + i * 0.37);
    const sketch = sketchOf(values);
    expect(rawBucketValue('p50', { ...b, sketch })).toBe(percentileValue('p50', sketch));
    for (const [kind, q] of [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p95', 0.95],
      ['p99', 0.99],
    ] as const) {
      const want = values[Math.floor(q * 100)]!;
      expect(Math.abs(percentileValue(kind, sketch)! - want)).toBeLessThanOrEqual(RELATIVE_ACCURACY * want);
    }
    expect(percentileValue('p99', sketchOf([7]))).toBe(7);
    expect(rawBucketValue('p95', b)).toBeNull();
    expect(percentileValue('p90', undefined)).toBeNull();
    for (const kind of ['p50', 'p90', 'p95', 'p99'] as const) {
      expect(isPercentile(kind)).toBe(true);
      expect(emptyValue(kind)).toBeNull();
    }
    expect(isPercentile('avg')).toBe(false);
  });

  it('reads raw events for property filters and paths the rollups do not cover', () => {
    expect(readsRawEvents({ props: [], path: null })).toBe(false);
    expect(readsRawEvents({ props: [], path: ['amount'] })).toBe(false);
    expect(readsRawEvents({ props: [[['plan'], 'pro']], path: null })).toBe(true);
    expect(readsRawEvents({ props: [], path: ['order', 'total'] })).toBe(true);
  });
});

describe('metricPoints', () => {
  const query = (over: Partial<MetricsQuery> = {}): MetricsQuery => ({
    eventType: 'signup',
    metric: 'count',
    kind: 'count',
    path: null,
    interval: '1m',
    fromMs: 65_000,
    toMs: 185_000,
    project: null,
    props: [],
    ...over,
  });
  const reader = (values: [number, number | null][]) => {
    const asked: MetricSeries[] = [];
    const r: MetricReader = {
      values: async (s) => {
        asked.push(s);
        return new Map(values);
      },
    };
    return { r, asked };
  };

  it('reads the whole buckets that overlap [from, to), over the sorted projects, and zero-fills', async () => {
    const { r, asked } = reader([[120_000, 7]]);
    expect(await metricPoints(r, query(), 't1', ['p2', 'p1'])).toEqual([
      { t: 60_000, value: 0 },
      { t: 120_000, value: 7 },
      { t: 180_000, value: 0 },
    ]);
    expect(asked).toEqual([
      {
        tenantId: 't1',
        projectIds: ['p1', 'p2'],
        eventType: 'signup',
        kind: 'count',
        path: null,
        props: [],
        interval: '1m',
        buckets: [60_000, 120_000, 180_000],
        fromMs: 60_000,
        toMs: 240_000,
      },
    ]);
  });

  it('fills avg with null, keeps a null the reader gives, and reads nothing without projects', async () => {
    const { r, asked } = reader([
      [60_000, null],
      [120_000, 2.5],
    ]);
    const avg = query({ kind: 'avg', metric: 'avg:x', path: ['x'] });
    expect((await metricPoints(r, avg, 't1', ['p1'])).map((p) => p.value)).toEqual([null, 2.5, null]);
    expect((await metricPoints(r, query(), 't1', [])).map((p) => p.value)).toEqual([0, 0, 0]);
    expect(asked).toHaveLength(1);
  });
});
