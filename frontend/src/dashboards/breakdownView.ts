// What the number and table widgets show of a breakdown answer (GET /v1/metrics breakdown=<path>, docs/api.md#breakdowns):
// the total, each value's total and share, and a table with a column per value that reconciles with the total.
import type { MetricAnswer } from '../api/types';
import { breakdownLabel } from './chartData';
import { numberValue, type NumberValue } from './widgetQuery';

/** count and sum add up: every event of a bucket is in exactly one value's series. */
export const metricAddsUp = (metric: string): boolean => metric === 'count' || metric.startsWith('sum:');

/** The property filter that selects one value's events in the explorer, or null ($other, $none). */
export function valueFilter(path: string, value: string): Record<string, string> | null {
  if (value === '$other' || value === '$none') return null;
  // A string starting with "$" is sent with one more "$" in front (docs/api.md#breakdowns).
  return { [path]: value.startsWith('$$') ? value.slice(1) : value };
}

export interface BreakdownRow {
  /** The series value as the API names it ("DE", "$other", "$none"). */
  value: string;
  label: string;
  total: number | null;
  /** Part of the widget's total (0–1), for metrics that add up; null otherwise. */
  share: number | null;
}

export interface BreakdownNumber {
  /** The widget's number: the same as without a breakdown (the total series). */
  total: NumberValue;
  rows: BreakdownRow[];
  /** What a row's number is, when it is not a part of the total. */
  rowsNote: string | null;
}

/** The number widget of a breakdown: the total as before, then every series in the API's order with its share. */
export function breakdownNumber(answer: MetricAnswer, metric: string): BreakdownNumber {
  const total = numberValue(answer, metric);
  const adds = metricAddsUp(metric);
  const series = answer.series ?? [];
  // Shares need a positive total and no negative part (a sum of negative amounts has no meaningful share).
  const shares = adds && total.value !== null && total.value > 0 && series.every((s) => (s.total ?? 0) >= 0);
  return {
    total,
    rows: series.map((s) => ({
      value: s.value,
      label: breakdownLabel(s.value),
      total: s.total,
      share: shares && s.total !== null ? s.total / total.value! : null,
    })),
    rowsNote: adds
      ? null
      : metric === 'unique_users'
        ? 'each value’s distinct users over the range (a user may be in several values)'
        : `each value’s ${metric.split(':')[0]} over the whole range`,
  };
}

export interface BreakdownTableRow {
  t: string;
  total: number | null;
  values: (number | null)[];
  /** For metrics that add up: the sum of the values differs from the total (never expected). */
  mismatch: boolean;
}

export interface BreakdownTable {
  /** One column per series, in the API's order. */
  columns: { value: string; label: string; total: number | null }[];
  /** Newest bucket first. */
  rows: BreakdownTableRow[];
  /** The range's totals: the total series' (as the number widget shows it) and each value's. */
  totals: { total: number | null; values: (number | null)[] };
  adds: boolean;
  /** Buckets whose values do not add up to the total (count and sum only; 0 when they all do). */
  mismatches: number;
}

/** Equal up to the doubles' rounding: the API's sums are exact decimals sent as their nearest doubles. */
function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The table widget of a breakdown: a row per bucket (newest first), the total then a column per value. */
export function breakdownTable(answer: MetricAnswer, metric: string): BreakdownTable {
  const series = answer.series ?? [];
  const adds = metricAddsUp(metric);
  const byValue = series.map((s) => new Map(s.points.map((p) => [p.t, p.value])));
  const rows = answer.points.map((p): BreakdownTableRow => {
    const values = byValue.map((m) => m.get(p.t) ?? null);
    const sum = values.reduce<number>((a, v) => a + (v ?? 0), 0);
    return { t: p.t, total: p.value, values, mismatch: adds && !sameNumber(sum, p.value ?? 0) };
  });
  rows.reverse();
  return {
    columns: series.map((s) => ({ value: s.value, label: breakdownLabel(s.value), total: s.total })),
    rows,
    totals: { total: numberValue(answer, metric).value, values: series.map((s) => s.total) },
    adds,
    mismatches: rows.filter((r) => r.mismatch).length,
  };
}

const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** 0.4213 → "42.1%" (in the viewer's locale). */
export function formatShare(share: number): string {
  return percent.format(share);
}
