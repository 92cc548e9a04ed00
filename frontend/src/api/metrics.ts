// GET /v1/metrics — one time series of one event type.
import type { ApiClient } from './client';
import type { QueryParams } from './client';
import { INTERVALS, isInterval } from '../lib/duration';
import { expectArray, expectNumber, expectObject, expectString, optionalString, ShapeError } from './shape';
import type { BreakdownSeries, MetricAnswer, MetricInterval, MetricName, MetricPoint, PreviousRange } from './types';

export interface MetricSeriesParams {
  eventType: string;
  metric: MetricName;
  interval: MetricInterval;
  project?: string;
  /** Property equality filters: path → value (sent as prop.<path>=<value>). */
  filter?: Readonly<Record<string, string>>;
  /** ISO-8601 UTC bounds, [from, to). */
  from: string;
  to: string;
  /** Also the range before (compare=previous). */
  compare?: boolean;
  /** One series per value of this property path (breakdown=<path>&limit=N). */
  breakdown?: { path: string; limit?: number };
}

function expectInterval(value: unknown, what: string): MetricInterval {
  const text = expectString(value, what);
  if (!isInterval(text)) throw new ShapeError(`${what} is not one of ${INTERVALS.join(', ')}`);
  return text;
}

function parsePoints(raw: unknown, what: string): MetricPoint[] {
  return expectArray(raw, what).map((item, index) => {
    const obj = expectObject(item, `${what}[${index}]`);
    // avg and pNN buckets without the property are null.
    const value = obj.value === null ? null : expectNumber(obj.value, `${what}[${index}].value`);
    return { t: expectString(obj.t, `${what}[${index}].t`), value };
  });
}

function parsePrevious(raw: unknown, what: string): PreviousRange | undefined {
  if (raw === undefined || raw === null) return undefined;
  const obj = expectObject(raw, what);
  return {
    from: expectString(obj.from, `${what}.from`),
    to: expectString(obj.to, `${what}.to`),
    points: parsePoints(obj.points, `${what}.points`),
  };
}

export function parseMetricSeries(body: unknown): MetricAnswer {
  const obj = expectObject(body, 'response');
  const answer: MetricAnswer = {
    event_type: expectString(obj.event_type, 'event_type'),
    metric: expectString(obj.metric, 'metric'),
    interval: expectInterval(obj.interval, 'interval'),
    data_as_of: optionalString(obj.data_as_of, 'data_as_of'),
    points: obj.points === undefined && Array.isArray(obj.series) ? [] : parsePoints(obj.points, 'points'),
  };
  const previous = parsePrevious(obj.previous, 'previous');
  if (previous) answer.previous = previous;
  if (typeof obj.timezone === 'string') answer.timezone = obj.timezone;
  if (typeof obj.breakdown === 'string') answer.breakdown = obj.breakdown;
  if (obj.source === 'rollup' || obj.source === 'raw') answer.source = obj.source;
  if (obj.series !== undefined)
    answer.series = expectArray(obj.series, 'series').map((raw, i): BreakdownSeries => {
      const s = expectObject(raw, `series[${i}]`);
      const prev = parsePrevious(s.previous, `series[${i}].previous`);
      return {
        value: expectString(s.value, `series[${i}].value`),
        total: s.total === null ? null : expectNumber(s.total, `series[${i}].total`),
        points: parsePoints(s.points, `series[${i}].points`),
        ...(prev ? { previous: prev } : {}),
      };
    });
  return answer;
}

/** The query string of GET /v1/metrics for these parameters (also the CSV export's, with format=csv). */
export function metricQuery(params: MetricSeriesParams): Record<string, QueryParams[string]> {
  const query: Record<string, QueryParams[string]> = {
    event_type: params.eventType,
    metric: params.metric,
    interval: params.interval,
    from: params.from,
    to: params.to,
    project: params.project || undefined,
    compare: params.compare ? 'previous' : undefined,
    breakdown: params.breakdown?.path,
    limit: params.breakdown?.limit,
  };
  for (const [path, value] of Object.entries(params.filter ?? {})) if (path !== '') query[`prop.${path}`] = value;
  return query;
}

export function fetchMetricSeries(
  client: ApiClient,
  params: MetricSeriesParams,
  signal?: AbortSignal,
): Promise<MetricAnswer> {
  return client.get('/v1/metrics', {
    query: metricQuery(params),
    signal,
    parse: parseMetricSeries,
  });
}

export function totalOf(series: Pick<MetricAnswer, 'points'>): number {
  return series.points.reduce((sum, point) => sum + (point.value ?? 0), 0);
}
