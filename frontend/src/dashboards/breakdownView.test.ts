import fc from 'fast-check';
import { MAX_BREAKDOWN_LIMIT as SERVER_WIDGET_LIMIT } from '../../../core/dashboards';
import { DEFAULT_BREAKDOWN_LIMIT as SERVER_DEFAULT_LIMIT } from '../../../core/breakdown';
import type { MetricAnswer } from '../api/types';
import {
  DEFAULT_BREAKDOWN_LIMIT,
  formatLimit,
  LIMIT_PROBLEM,
  limitProblem,
  MAX_WIDGET_BREAKDOWN_LIMIT,
  parseLimitText,
} from './breakdownLimit';
import { breakdownNumber, breakdownTable, formatShare, valueFilter } from './breakdownView';

const T = (i: number) => new Date(Date.UTC(2026, 10, 27, 10, i)).toISOString();

/** A breakdown answer whose total points are the sums of the series' (as the API's are for count and sum). */
function answerOf(metric: string, series: { value: string; points: (number | null)[] }[], n: number): MetricAnswer {
  const total = (vs: (number | null)[]) => vs.reduce<number>((a, v) => a + (v ?? 0), 0);
  return {
    event_type: 'order',
    metric,
    interval: '1m',
    data_as_of: null,
    points: Array.from({ length: n }, (_, i) => ({ t: T(i), value: total(series.map((s) => s.points[i] ?? 0)) })),
    breakdown: 'plan',
    source: 'raw',
    series: series.map((s) => ({
      value: s.value,
      total: total(s.points),
      points: s.points.map((value, i) => ({ t: T(i), value })),
    })),
  };
}

describe('the breakdown limit of a widget', () => {
  it('has the server’s bounds: the default of GET /v1/metrics, the maximum of a saved widget', () => {
    expect(DEFAULT_BREAKDOWN_LIMIT).toBe(SERVER_DEFAULT_LIMIT);
    expect(MAX_WIDGET_BREAKDOWN_LIMIT).toBe(SERVER_WIDGET_LIMIT);
  });

  it('takes empty text as the default and whole numbers 1–20; anything else is refused with the message', () => {
    expect(parseLimitText('')).toEqual({ limit: undefined, problem: null });
    expect(parseLimitText('  ')).toEqual({ limit: undefined, problem: null });
    expect(parseLimitText(' 7 ')).toEqual({ limit: 7, problem: null });
    for (const text of ['0', '21', '100', '2.5', '-1', 'ten', '1e1', '0x5'])
      expect(parseLimitText(text).problem).toBe(LIMIT_PROBLEM);
    expect(LIMIT_PROBLEM).toMatch(/whole number from 1 to 20 \(leave it empty for 10\)/);
  });

  it('agrees with limitProblem and round-trips through the editor text, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -5, max: 200 }).map(String)), (text) => {
        const { limit, problem } = parseLimitText(text);
        expect(limitProblem(limit)).toBe(problem);
        const valid = /^\s*\d+\s*$/.test(text) && Number(text) >= 1 && Number(text) <= 20;
        expect(problem === null).toBe(valid || text.trim() === '');
        if (problem === null) expect(parseLimitText(formatLimit(limit))).toEqual({ limit, problem });
      }),
    );
  });
});

describe('breakdownNumber', () => {
  it('shows the total as without a breakdown, then each value in the API’s order with its share', () => {
    const answer = answerOf(
      'count',
      [
        { value: 'pro', points: [3, 3] },
        { value: 'free', points: [1, 2] },
        { value: '$other', points: [0, 1] },
        { value: '$none', points: [0, 2] },
      ],
      2,
    );
    const shown = breakdownNumber(answer, 'count');
    expect(shown.total).toEqual({ value: 12, note: null });
    expect(shown.rows).toEqual([
      { value: 'pro', label: 'pro', total: 6, share: 0.5 },
      { value: 'free', label: 'free', total: 3, share: 0.25 },
      { value: '$other', label: 'other values', total: 1, share: 1 / 12 },
      { value: '$none', label: '(property missing)', total: 2, share: 2 / 12 },
    ]);
    expect(shown.rowsNote).toBeNull();
  });

  it('gives shares that add up to 1 for count and sum, on generated data', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('count', 'sum:amount'),
        fc.array(fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        (metric, values) => {
          const answer = answerOf(
            metric,
            values.map((points, i) => ({ value: `v${i}`, points })),
            3,
          );
          const shown = breakdownNumber(answer, metric);
          // Reference: the total is every point of every series.
          const reference = values.flat().reduce((a, b) => a + b, 0);
          expect(shown.total.value).toBe(reference);
          expect(shown.rows.map((r) => r.total)).toEqual(values.map((v) => v.reduce((a, b) => a + b, 0)));
          if (reference === 0) expect(shown.rows.every((r) => r.share === null)).toBe(true);
          else expect(shown.rows.reduce((a, r) => a + r.share!, 0)).toBeCloseTo(1, 9);
        },
      ),
    );
  });

  it('has no shares for metrics that do not add up, and says what a value’s number is', () => {
    const answer = answerOf('unique_users', [{ value: 'pro', points: [2, 1] }], 2);
    expect(breakdownNumber(answer, 'unique_users')).toMatchObject({
      rows: [{ value: 'pro', total: 3, share: null }],
      rowsNote: 'each value’s distinct users over the range (a user may be in several values)',
    });
    expect(breakdownNumber(answerOf('avg:amount', [{ value: 'pro', points: [2, 4] }], 2), 'avg:amount')).toMatchObject({
      rows: [{ share: null }],
      rowsNote: 'each value’s avg over the whole range',
    });
    // A sum with a negative part has no meaningful share.
    const mixed = answerOf(
      'sum:amount',
      [
        { value: 'a', points: [5] },
        { value: 'b', points: [-2] },
      ],
      1,
    );
    expect(breakdownNumber(mixed, 'sum:amount').rows.map((r) => r.share)).toEqual([null, null]);
  });
});

describe('breakdownTable', () => {
  it('has a column per value and a row per bucket, newest first, that add up to the total', () => {
    const answer = answerOf(
      'count',
      [
        { value: 'pro', points: [3, 1] },
        { value: '$none', points: [0, 2] },
      ],
      2,
    );
    expect(breakdownTable(answer, 'count')).toEqual({
      columns: [
        { value: 'pro', label: 'pro', total: 4 },
        { value: '$none', label: '(property missing)', total: 2 },
      ],
      rows: [
        { t: T(1), total: 3, values: [1, 2], mismatch: false },
        { t: T(0), total: 3, values: [3, 0], mismatch: false },
      ],
      totals: { total: 6, values: [4, 2] },
      adds: true,
      mismatches: 0,
    });
  });

  it('reconciles with the total series on generated data, and finds a bucket that does not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: -50, max: 1000 }), { minLength: 4, maxLength: 4 }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.nat(3),
        (values, broken) => {
          const answer = answerOf(
            'sum:amount',
            values.map((points, i) => ({ value: `v${i}`, points })),
            4,
          );
          const table = breakdownTable(answer, 'sum:amount');
          expect(table.mismatches).toBe(0);
          // Reference: the totals row is the total series' sum, and each column's total its own points' sum.
          expect(table.totals.total).toBe(values.flat().reduce((a, b) => a + b, 0));
          expect(table.totals.values).toEqual(values.map((v) => v.reduce((a, b) => a + b, 0)));
          expect(table.rows.map((r) => r.t)).toEqual([3, 2, 1, 0].map(T));
          // One bucket's total off by one: exactly that row is flagged.
          const points = answer.points.map((p, i) => (i === broken ? { ...p, value: p.value! + 1 } : p));
          const off = breakdownTable({ ...answer, points }, 'sum:amount');
          expect(off.mismatches).toBe(1);
          expect(off.rows.find((r) => r.mismatch)?.t).toBe(T(broken));
        },
      ),
    );
  });

  it('takes sums that differ only by the doubles’ rounding as equal, and checks nothing for unique users', () => {
    const answer = answerOf(
      'sum:amount',
      [
        { value: 'a', points: [0.1] },
        { value: 'b', points: [0.2] },
      ],
      1,
    );
    expect(breakdownTable({ ...answer, points: [{ t: T(0), value: 0.3 }] }, 'sum:amount').mismatches).toBe(0);
    const users = answerOf('unique_users', [{ value: 'a', points: [2] }], 1);
    expect(breakdownTable({ ...users, points: [{ t: T(0), value: 1 }] }, 'unique_users')).toMatchObject({
      adds: false,
      mismatches: 0,
    });
  });
});

describe('valueFilter and formatShare', () => {
  it('filter the explorer to one value, never to $other or $none, unescaping a leading $', () => {
    expect(valueFilter('plan', 'pro')).toEqual({ plan: 'pro' });
    expect(valueFilter('plan', '$$other')).toEqual({ plan: '$other' });
    expect(valueFilter('plan', '$other')).toBeNull();
    expect(valueFilter('plan', '$none')).toBeNull();
  });

  it('formats a share as a percentage', () => {
    expect(formatShare(0.5)).toMatch(/^50\s?%$/);
  });
});
