// Dashboards are configuration (docs/api.md#dashboards): widgets with a query each. The default one a tenant starts with. Pure.
import { randomUUID } from 'node:crypto';
import { parseDuration } from './intervals';

export const WIDGET_TYPES = ['timeseries', 'number', 'table', 'events', 'funnel', 'retention'] as const;
export type WidgetType = (typeof WIDGET_TYPES)[number];
/** Saved insights: a widget holding the body of POST /v1/funnels/query or /v1/retention/query without from/to. */
export const INSIGHT_TYPES = ['funnel', 'retention'] as const;
export type InsightType = (typeof INSIGHT_TYPES)[number];
export const isInsight = (type: WidgetType): type is InsightType => type === 'funnel' || type === 'retention';
/** The query fields of a metric widget, none of which a saved insight uses (its query is query.funnel/retention). */
export const METRIC_QUERY_FIELDS = [
  'event_type',
  'metric',
  'interval',
  'project',
  'filter',
  'series',
  'breakdown',
  'compare',
] as const;

/** How a timeseries widget draws its series (docs/api.md#dashboards). */
export const CHART_KINDS = ['line', 'area', 'bar', 'stacked'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];
/** Extra series a widget may add to its main one. */
export const MAX_EXTRA_SERIES = 5;
/** Most breakdown values a widget asks for (besides $other and $none). */
export const MAX_BREAKDOWN_LIMIT = 20;

export interface Widget {
  id: string;
  type: WidgetType;
  title: string;
  query: {
    event_type?: string;
    metric?: string;
    interval?: string;
    range?: string;
    project?: string;
    filter?: Record<string, string>;
    series?: { event_type: string; metric?: string; label?: string }[];
    breakdown?: { path: string; limit?: number };
    compare?: 'previous';
    /** A funnel widget's query: the body of POST /v1/funnels/query without from/to (they follow `range`). */
    funnel?: Record<string, unknown>;
    /** A retention widget's query: the body of POST /v1/retention/query without from/to. */
    retention?: Record<string, unknown>;
  };
  chart?: ChartKind;
  unit?: string;
  /** 12-column grid: top-left cell (x: column 0-11, y: row) and size; x/y absent means "flow in order". */
  layout?: { x?: number; y?: number; w: number; h: number };
}

/** The layout grid: 12 columns (x 0-11) and rows from 0 at the top; a widget spans w columns and h rows. */
export const GRID = { columns: 12, maxRow: 1000, maxHeight: 8 } as const;
export const MAX_WIDGETS = 50;
/** The longest range a widget may show. */
export const MAX_WIDGET_RANGE_MS = 90 * 86_400_000;

/** A widget's layout fits the grid when it does not reach past the last column. */
export function fitsGrid(layout: { x?: number; w: number }): boolean {
  return (layout.x ?? 0) + layout.w <= GRID.columns;
}

/** A widget's range is a positive duration of at most MAX_WIDGET_RANGE_MS. */
export function isWidgetRange(value: string): boolean {
  const ms = parseDuration(value);
  return ms !== undefined && ms > 0 && ms <= MAX_WIDGET_RANGE_MS;
}

/** Every metric widget (not the events list, not a saved insight) shows one event type. */
export const needsEventType = (type: WidgetType): boolean => type !== 'events' && !isInsight(type);

/**
 * The default dashboard: a chart per busiest event type (at most 3), a number tile of the busiest one over 24 h,
 * and the latest events. A tenant without events yet gets the events list only (widgets are added in the UI).
 */
export function defaultWidgets(eventTypes: string[]): Widget[] {
  const [top] = eventTypes;
  const charts: Widget[] = eventTypes.slice(0, 3).map((t) => ({
    id: randomUUID(),
    type: 'timeseries',
    title: `${t} per minute`,
    query: { event_type: t, metric: 'count', interval: '1m', range: '1h' },
    layout: { w: 6, h: 3 },
  }));
  const tile: Widget[] = top
    ? [
        {
          id: randomUUID(),
          type: 'number',
          title: `${top}, last 24 h`,
          query: { event_type: top, metric: 'count', interval: '1h', range: '24h' },
          layout: { w: 3, h: 2 },
        },
      ]
    : [];
  return [
    ...tile,
    ...charts,
    { id: randomUUID(), type: 'events', title: 'Latest events', query: { range: '1h' }, layout: { w: 12, h: 4 } },
  ];
}
