// Chart rows from one or more series: merged by bucket, the current (unfinished) bucket split off so it is drawn
// as partial (dashed/faded) instead of as a cliff, and legend totals that say how they were made.
import type { MetricInterval } from '../api/types';
import { INTERVAL_MS } from '../lib/duration';

export interface ChartSeries {
  /** Unique key within the chart (also the data key of its rows). */
  key: string;
  label: string;
  metric: string;
  points: readonly { t: string; value: number | null }[];
}

export type ChartRow = { t: string } & Record<string, number | null | string>;

/** The data key of a series' partial segment. */
export const partialKey = (key: string): string => `${key}__partial`;

/** Index of the first bucket not finished at `nowMs` (its end is after now), or -1 when every bucket is complete. */
export function firstPartialIndex(times: readonly string[], interval: MetricInterval, nowMs: number): number {
  const size = INTERVAL_MS[interval];
  return times.findIndex((t) => Date.parse(t) + size > nowMs);
}

/**
 * One row per bucket start (sorted), a column per series. From the first partial bucket on, a series' values move
 * to its partial column, which also repeats the last complete value so the dashed segment joins the solid line.
 */
export function chartRows(series: readonly ChartSeries[], interval: MetricInterval, nowMs: number): ChartRow[] {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => p.t)))].sort(
    (a, b) => Date.parse(a) - Date.parse(b),
  );
  const partialAt = firstPartialIndex(times, interval, nowMs);
  const byKey = new Map(series.map((s) => [s.key, new Map(s.points.map((p) => [p.t, p.value]))]));
  return times.map((t, i) => {
    const row: ChartRow = { t };
    for (const s of series) {
      const value = byKey.get(s.key)!.get(t) ?? null;
      const partial = partialAt !== -1 && i >= partialAt;
      const joins = partialAt !== -1 && i === partialAt - 1;
      row[s.key] = partial ? null : value;
      row[partialKey(s.key)] = partial || joins ? value : null;
    }
    return row;
  });
}

export interface LegendTotal {
  value: number | null;
  /** 'total' for count and sum (they add up over buckets); 'mean' of the bucket values otherwise. */
  how: 'total' | 'mean';
}

/** What a series' legend entry shows beside its name. */
export function legendTotal(metric: string, values: readonly (number | null)[]): LegendTotal {
  const present = values.filter((v): v is number => v !== null);
  const adds = metric === 'count' || metric.startsWith('sum:');
  if (adds) return { value: present.reduce((a, b) => a + b, 0), how: 'total' };
  if (present.length === 0) return { value: null, how: 'mean' };
  return { value: Math.round((present.reduce((a, b) => a + b, 0) / present.length) * 100) / 100, how: 'mean' };
}

/** The unit a metric's values are in: the widget's own unit for sums, averages and percentiles, else events/users. */
export function unitOf(metric: string, unit: string | undefined): string {
  if (metric === 'count') return 'events';
  if (metric === 'unique_users') return 'users';
  return unit ?? '';
}

/** How a breakdown value is named in a legend. */
export function breakdownLabel(value: string): string {
  if (value === '$other') return 'other values';
  if (value === '$none') return '(property missing)';
  return value;
}

/** The previous range's points moved onto the current buckets (i-th on i-th), so both share the time axis. */
export function alignPrevious(
  current: readonly { t: string }[],
  previous: readonly { t: string; value: number | null }[],
): { t: string; value: number | null }[] {
  return current.map((p, i) => ({ t: p.t, value: previous[i]?.value ?? null }));
}

export interface SeriesAnswer {
  metric: string;
  points: readonly { t: string; value: number | null }[];
  previous?: { points: readonly { t: string; value: number | null }[] };
  series?: readonly {
    value: string;
    points: readonly { t: string; value: number | null }[];
    previous?: { points: readonly { t: string; value: number | null }[] };
  }[];
}

/**
 * The series a timeseries widget draws: a breakdown's values (when the answer has them) or the main series, then
 * the extra series, then (dashed) the previous range of the main one.
 */
export function widgetChartSeries(
  main: { label: string; answer: SeriesAnswer },
  extras: readonly { label: string; answer: SeriesAnswer | undefined }[],
): (ChartSeries & { dashed?: boolean })[] {
  const out: (ChartSeries & { dashed?: boolean })[] = [];
  const { answer } = main;
  if (answer.series !== undefined) {
    answer.series.forEach((s, i) =>
      out.push({ key: `b${i}`, label: breakdownLabel(s.value), metric: answer.metric, points: s.points }),
    );
  } else out.push({ key: 'main', label: main.label, metric: answer.metric, points: answer.points });
  extras.forEach((e, i) => {
    if (e.answer) out.push({ key: `x${i}`, label: e.label, metric: e.answer.metric, points: e.answer.points });
  });
  if (answer.previous !== undefined && answer.series === undefined)
    out.push({
      key: 'previous',
      label: `${main.label}, previous range`,
      metric: answer.metric,
      points: alignPrevious(answer.points, answer.previous.points),
      dashed: true,
    });
  return out;
}
