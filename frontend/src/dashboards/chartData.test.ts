import {
  breakdownLabel,
  chartRows,
  firstPartialIndex,
  legendTotal,
  partialKey,
  unitOf,
  widgetChartSeries,
} from './chartData';

const t = (minute: number) => `2026-11-27T10:0${minute}:00.000Z`;

describe('chart rows', () => {
  it('find the bucket that is not finished yet', () => {
    const times = [t(0), t(1), t(2)];
    expect(firstPartialIndex(times, '1m', Date.parse('2026-11-27T10:02:30Z'))).toBe(2);
    expect(firstPartialIndex(times, '1m', Date.parse('2026-11-27T10:03:00Z'))).toBe(-1);
    expect(firstPartialIndex(times, '5m', Date.parse('2026-11-27T10:02:30Z'))).toBe(0);
  });

  it('merge series by bucket and draw the unfinished bucket as a separate segment joined to the last full one', () => {
    const rows = chartRows(
      [
        {
          key: 'a',
          label: 'a',
          metric: 'count',
          points: [
            { t: t(0), value: 5 },
            { t: t(1), value: 6 },
            { t: t(2), value: 1 },
          ],
        },
        {
          key: 'b',
          label: 'b',
          metric: 'count',
          points: [
            { t: t(1), value: 2 },
            { t: t(2), value: null },
          ],
        },
      ],
      '1m',
      Date.parse('2026-11-27T10:02:10Z'),
    );
    expect(rows).toEqual([
      { t: t(0), a: 5, [partialKey('a')]: null, b: null, [partialKey('b')]: null },
      { t: t(1), a: 6, [partialKey('a')]: 6, b: 2, [partialKey('b')]: 2 },
      { t: t(2), a: null, [partialKey('a')]: 1, b: null, [partialKey('b')]: null },
    ]);
  });

  it('have no partial segment when every bucket is finished', () => {
    const rows = chartRows(
      [{ key: 'a', label: 'a', metric: 'count', points: [{ t: t(0), value: 5 }] }],
      '1m',
      Date.parse('2026-11-27T11:00:00Z'),
    );
    expect(rows).toEqual([{ t: t(0), a: 5, [partialKey('a')]: null }]);
  });
});

describe('legend totals', () => {
  it('add up counts and sums, average the rest, and say which', () => {
    expect(legendTotal('count', [1, null, 2])).toEqual({ value: 3, how: 'total' });
    expect(legendTotal('sum:amount', [1.5, 2])).toEqual({ value: 3.5, how: 'total' });
    expect(legendTotal('p95:latency', [10, 20, null])).toEqual({ value: 15, how: 'mean' });
    expect(legendTotal('avg:x', [null])).toEqual({ value: null, how: 'mean' });
    expect(legendTotal('unique_users', [1, 2])).toEqual({ value: 1.5, how: 'mean' });
  });

  it('name units', () => {
    expect(unitOf('count', 'ms')).toBe('events');
    expect(unitOf('unique_users', undefined)).toBe('users');
    expect(unitOf('p95:latency', 'ms')).toBe('ms');
    expect(unitOf('sum:amount', undefined)).toBe('');
  });
});

describe('a widget’s chart series', () => {
  const points = [
    { t: t(0), value: 1 },
    { t: t(1), value: 2 },
  ];

  it('are the main series, the extra ones, then the previous range on the same buckets, dashed', () => {
    const out = widgetChartSeries(
      { label: 'signup', answer: { metric: 'count', points, previous: { points: [{ t: 'earlier', value: 7 }] } } },
      [
        { label: 'login', answer: { metric: 'count', points } },
        { label: 'loading', answer: undefined },
      ],
    );
    expect(out.map((s) => [s.key, s.label, s.dashed ?? false])).toEqual([
      ['main', 'signup', false],
      ['x0', 'login', false],
      ['previous', 'signup, previous range', true],
    ]);
    expect(out[2]!.points).toEqual([
      { t: t(0), value: 7 },
      { t: t(1), value: null },
    ]);
  });

  it('are the breakdown values, named, when the answer has them', () => {
    const out = widgetChartSeries(
      {
        label: 'signup',
        answer: {
          metric: 'count',
          points: [],
          series: [
            { value: 'pro', points },
            { value: '$other', points },
            { value: '$none', points },
          ],
        },
      },
      [],
    );
    expect(out.map((s) => s.label)).toEqual(['pro', 'other values', '(property missing)']);
    expect(breakdownLabel('free')).toBe('free');
  });
});
