// What a widget asks the API for: its query with the dashboard's overrides, the interval that
// fits the range, how a number is totalled, and the explorer link behind a chart bucket.
import type {
  FunnelQueryBody,
  MetricInterval,
  MetricSeries,
  RetentionQueryBody,
  Widget,
  WidgetQuery,
} from '../api/types';
import { durationLabel, fitInterval, INTERVAL_MS, intervalRefusal, isInterval, parseDuration } from '../lib/duration';
import { hrefFor } from '../lib/router';
import { DEFAULT_RANGE, resolveRange } from '../lib/timeRange';
import { limitProblem } from './breakdownLimit';

export interface Overrides {
  /** Dashboard-wide range, replacing every widget's; null keeps each widget's own. */
  range: string | null;
  interval: MetricInterval | null;
  /** An absolute range [from, to) (ISO), replacing every widget's relative one (the time-range picker, a zoom). */
  absolute?: { from: string; to: string } | null;
  /** Every widget also shows the range before (compare=previous). */
  compare?: boolean;
}

export interface ResolvedQuery {
  eventType: string;
  metric: string;
  interval: MetricInterval;
  range: string;
  project?: string;
  filter: Record<string, string>;
  /** Set when the asked interval (the override or the widget's) was replaced by a coarser one: which, and why. */
  intervalNote?: string;
  /** Absolute bounds instead of the relative range. */
  from?: string;
  to?: string;
  compare?: boolean;
  breakdown?: { path: string; limit?: number };
}

export function resolveWidgetQuery(query: WidgetQuery, overrides: Overrides): ResolvedQuery {
  const range = overrides.range ?? (parseDuration(query.range) !== undefined ? query.range! : DEFAULT_RANGE);
  const wanted = overrides.interval ?? (isInterval(query.interval) ? query.interval : '1m');
  const absolute = overrides.absolute ?? null;
  const absoluteMs = absolute === null ? undefined : Date.parse(absolute.to) - Date.parse(absolute.from);
  const rangeMs = absoluteMs !== undefined && absoluteMs > 0 ? absoluteMs : (parseDuration(range) ?? 3_600_000);
  const interval = fitInterval(rangeMs, wanted);
  const refusal = interval === wanted ? null : intervalRefusal(rangeMs, wanted);
  return {
    ...(refusal === null ? {} : { intervalNote: `per ${durationLabel(wanted)} refused (${refusal})` }),
    ...(absolute !== null && absoluteMs !== undefined && absoluteMs > 0
      ? { from: absolute.from, to: absolute.to }
      : {}),
    ...(query.compare === 'previous' || overrides.compare === true ? { compare: true } : {}),
    ...(query.breakdown ? { breakdown: { ...query.breakdown } } : {}),
    eventType: query.event_type ?? '',
    metric: query.metric && query.metric !== '' ? query.metric : 'count',
    interval,
    range,
    project: query.project || undefined,
    filter: query.filter ?? {},
  };
}

export interface NumberValue {
  value: number | null;
  /** Says how the number was made when it is not an exact total over the range. */
  note: string | null;
}

/** count and sum add up over buckets; unique_users, avg and percentiles do not, so say what is shown instead. */
export function numberValue(series: MetricSeries, metric: string): NumberValue {
  const values = series.points.map((p) => p.value).filter((v): v is number => v !== null);
  const percentile = /^(p50|p90|p95|p99):/.exec(metric)?.[1];
  if (metric.startsWith('avg:') || percentile) {
    if (values.length === 0) return { value: null, note: 'no event has the property in this range' };
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const what = percentile ? `${percentile} values` : 'averages';
    return { value: Math.round(mean * 100) / 100, note: `mean of per-${series.interval} ${what}` };
  }
  const sum = values.reduce((a, b) => a + b, 0);
  if (metric === 'unique_users')
    return { value: sum, note: `sum of per-${series.interval} unique users (a user may count more than once)` };
  return { value: sum, note: null };
}

/** The explorer, filtered to the widget's events from the start of bucket `firstT` to the end of bucket `lastT`. */
function explorerHref(
  query: ResolvedQuery,
  firstT: string | undefined,
  lastT: string | undefined,
  interval: string,
): string {
  const toMs =
    lastT === undefined ? undefined : Date.parse(lastT) + (INTERVAL_MS[interval as MetricInterval] ?? 60_000);
  return hrefFor('explorer', {
    event_type: query.eventType || undefined,
    project: query.project,
    from: firstT === undefined ? undefined : new Date(Date.parse(firstT)).toISOString(),
    to: toMs === undefined ? undefined : new Date(toMs).toISOString(),
    ...Object.fromEntries(Object.entries(query.filter).map(([path, value]) => [`prop.${path}`, value])),
  });
}

/** The explorer, filtered to the events behind one bucket of a chart. */
export function explorerHrefForBucket(query: ResolvedQuery, bucketStart: string, interval: string): string {
  return explorerHref(query, bucketStart, bucketStart, interval);
}

/**
 * The explorer, filtered to every event the series counts: its buckets are whole (the first one starts before
 * `now - range`), so this is the span of the points, and it is fixed by the data rather than by the render time.
 */
export function explorerHrefForSeries(query: ResolvedQuery, series: MetricSeries): string {
  return explorerHref(query, series.points[0]?.t, series.points[series.points.length - 1]?.t, series.interval);
}

/** Widgets moved, replaced or removed by index, never mutating the input. */
export function moveWidget(widgets: readonly Widget[], index: number, delta: -1 | 1): Widget[] {
  const target = index + delta;
  if (index < 0 || index >= widgets.length || target < 0 || target >= widgets.length) return [...widgets];
  const next = [...widgets];
  [next[index], next[target]] = [next[target]!, next[index]!];
  return next;
}

/** A saved insight: a funnel or retention widget (its query is query.funnel / query.retention and a range). */
export const isInsightWidget = (widget: Pick<Widget, 'type'>): boolean =>
  widget.type === 'funnel' || widget.type === 'retention';

/** The range a saved insight is drawn over before anything overrides it (the Funnels/Retention screens' defaults). */
export const INSIGHT_DEFAULT_RANGE = { funnel: '30d', retention: '56d' } as const;

/**
 * [from, to) of a saved insight: the dashboard's absolute range, else its relative range, else the widget's own
 * `range`, ending at `nowMs` (docs/api.md#dashboards).
 */
export function insightRange(widget: Widget, overrides: Overrides, nowMs: number): { from: string; to: string } {
  if (overrides.absolute) return { ...overrides.absolute };
  const own = parseDuration(widget.query.range) !== undefined ? widget.query.range! : undefined;
  const fallback = widget.type === 'retention' ? INSIGHT_DEFAULT_RANGE.retention : INSIGHT_DEFAULT_RANGE.funnel;
  return resolveRange(overrides.range ?? own ?? fallback, nowMs);
}

/** The body of POST /v1/funnels/query a funnel widget asks for, or null when it holds no funnel. */
export function funnelWidgetBody(widget: Widget, overrides: Overrides, nowMs: number): FunnelQueryBody | null {
  const saved = widget.query.funnel;
  return saved === undefined ? null : { ...saved, ...insightRange(widget, overrides, nowMs) };
}

/** The body of POST /v1/retention/query a retention widget asks for, or null when it holds none. */
export function retentionWidgetBody(widget: Widget, overrides: Overrides, nowMs: number): RetentionQueryBody | null {
  const saved = widget.query.retention;
  return saved === undefined ? null : { ...saved, ...insightRange(widget, overrides, nowMs) };
}

/** A widget body the API accepts: no empty strings, no empty filter, query fields per type. */
export function cleanWidget(widget: Widget): Widget {
  const q = widget.query;
  if (isInsightWidget(widget)) {
    // A saved insight keeps its definition as saved; only the title, range and layout are edited here.
    const query: WidgetQuery = {
      range: q.range || (widget.type === 'retention' ? INSIGHT_DEFAULT_RANGE.retention : INSIGHT_DEFAULT_RANGE.funnel),
    };
    if (widget.type === 'funnel' && q.funnel) query.funnel = q.funnel;
    if (widget.type === 'retention' && q.retention) query.retention = q.retention;
    const cleaned: Widget = { type: widget.type, title: widget.title.trim() || defaultTitle(widget), query };
    if (widget.id) cleaned.id = widget.id;
    if (widget.layout) cleaned.layout = widget.layout;
    return cleaned;
  }
  const filter = Object.fromEntries(Object.entries(q.filter ?? {}).filter(([k]) => k.trim() !== ''));
  const query: WidgetQuery = {};
  if (q.event_type) query.event_type = q.event_type;
  if (widget.type !== 'events') {
    if (q.metric) query.metric = q.metric;
    if (q.interval) query.interval = q.interval;
  }
  if (q.range) query.range = q.range;
  if (q.project) query.project = q.project;
  if (Object.keys(filter).length > 0) query.filter = filter;
  // A breakdown: the chart's series, the number's top values, the table's columns. A limit out of range is left
  // out (widgetProblem refuses to save it; the preview meanwhile asks for the default).
  if (widget.type !== 'events' && q.breakdown && q.breakdown.path.trim() !== '') {
    const { limit } = q.breakdown;
    query.breakdown = {
      path: q.breakdown.path.trim(),
      ...(limit !== undefined && limitProblem(limit) === null ? { limit } : {}),
    };
  }
  if (widget.type === 'timeseries') {
    if (q.series && q.series.length > 0) query.series = q.series;
    if (q.compare) query.compare = q.compare;
  }
  const cleaned: Widget = { type: widget.type, title: widget.title.trim() || defaultTitle(widget), query };
  if (widget.id) cleaned.id = widget.id;
  if (widget.layout) cleaned.layout = widget.layout;
  if (widget.type === 'timeseries' && widget.chart) cleaned.chart = widget.chart;
  if (widget.type !== 'events' && widget.unit && widget.unit.trim() !== '') cleaned.unit = widget.unit.trim();
  return cleaned;
}

export function defaultTitle(widget: Pick<Widget, 'type' | 'query'>): string {
  if (widget.type === 'funnel')
    return `Funnel: ${(widget.query.funnel?.steps ?? []).map((s) => s.event_type).join(' → ')}`;
  if (widget.type === 'retention') {
    const name = (e: string | { event_type: string } | undefined) =>
      typeof e === 'string' ? e : (e?.event_type ?? '');
    return `Retention: ${name(widget.query.retention?.start_event)} → ${name(widget.query.retention?.return_event)}`;
  }
  const what = widget.query.event_type || 'all events';
  if (widget.type === 'events') return widget.query.event_type ? `Recent ${what}` : 'Latest events';
  const metric = widget.query.metric && widget.query.metric !== 'count' ? ` (${widget.query.metric})` : '';
  return `${what}${metric}`;
}

/** Why a widget cannot be saved, or null. */
export function widgetProblem(widget: Widget): string | null {
  if (widget.type === 'funnel' && !widget.query.funnel) return 'This funnel widget holds no funnel: remove it.';
  if (widget.type === 'retention' && !widget.query.retention)
    return 'This retention widget holds no retention query: remove it.';
  if (isInsightWidget(widget))
    return widget.query.range && parseDuration(widget.query.range) === undefined
      ? 'Range must be a duration such as 7d or 30d.'
      : null;
  if (widget.type !== 'events' && !widget.query.event_type) return 'Choose an event type.';
  const metric = widget.query.metric ?? 'count';
  if (!/^(count|unique_users|(sum|avg|p50|p90|p95|p99):\S+)$/.test(metric))
    return 'Metric must be count, unique_users, sum:<path>, avg:<path> or p50:/p90:/p95:/p99:<path>.';
  if (widget.query.range && parseDuration(widget.query.range) === undefined)
    return 'Range must be a duration such as 15m, 1h, 24h or 7d.';
  const bad = (widget.query.series ?? []).find(
    (s) => !/^(count|unique_users|(sum|avg|p50|p90|p95|p99):\S+)$/.test(s.metric ?? 'count'),
  );
  if (bad) return `Series ${bad.event_type}: metric must be count, unique_users, sum:<path>, avg:<path> or pNN:<path>.`;
  if ((widget.query.series ?? []).length > 5) return 'At most 5 more series.';
  if (widget.type !== 'events' && widget.query.breakdown) return limitProblem(widget.query.breakdown.limit);
  return null;
}

/** The dashboard's absolute range from its route (`from`/`to`, ISO), or null when absent or not a range. */
export function absoluteFromParams(params: URLSearchParams): { from: string; to: string } | null {
  const from = Date.parse(params.get('from') ?? '');
  const to = Date.parse(params.get('to') ?? '');
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to) return null;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

export type ExtraSeries = NonNullable<WidgetQuery['series']>[number];

/** The editor's "more series" text: one per line, `event_type | metric | label` (metric and label optional). */
export function parseSeriesText(text: string): ExtraSeries[] {
  return text
    .split('\n')
    .map((line) => line.split('|').map((part) => part.trim()))
    .filter(([eventType]) => eventType !== undefined && eventType !== '')
    .map(([eventType, metric, label]) => ({
      event_type: eventType!,
      ...(metric ? { metric } : {}),
      ...(label ? { label } : {}),
    }));
}

export function formatSeriesText(series: readonly ExtraSeries[] | undefined): string {
  return (series ?? [])
    .map((s) => [s.event_type, s.metric ?? (s.label ? 'count' : undefined), s.label].filter(Boolean).join(' | '))
    .join('\n');
}
