// GET /v1/metrics — one time series of one event type.
import type { ApiClient } from './client';
import type { QueryParams } from './client';
import { INTERVALS, isInterval } from '../lib/duration';
import { expectArray, expectNumber, expectObject, expectString, optionalString, ShapeError } from './shape';
import type { MetricInterval, MetricName, MetricPoint, MetricSeries } from './types';

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
}

function expectInterval(value: unknown, what: string): MetricInterval {
  const text = expectString(value, what);
  if (!isInterval(text)) throw new ShapeError(`${what} is not one of ${INTERVALS.join(', ')}`);
  return text;
}

function parsePoint(raw: unknown, index: number): MetricPoint {
  const obj = expectObject(raw, `points[${index}]`);
  // avg and pNN buckets without the property are null.
  const value = obj.value === null ? null : expectNumber(obj.value, `points[${index}].value`);
  return { t: expectString(obj.t, `points[${index}].t`), value };
}

export function parseMetricSeries(body: unknown): MetricSeries {
  const obj = expectObject(body, 'response');
  return {
    event_type: expectString(obj.event_type, 'event_type'),
    metric: expectString(obj.metric, 'metric'),
    interval: expectInterval(obj.interval, 'interval'),
    data_as_of: optionalString(obj.data_as_of, 'data_as_of'),
    points: expectArray(obj.points, 'points').map(parsePoint),
  };
}

export function fetchMetricSeries(
  client: ApiClient,
  params: MetricSeriesParams,
  signal?: AbortSignal,
): Promise<MetricSeries> {
  const query: Record<string, QueryParams[string]> = {
    event_type: params.eventType,
    metric: params.metric,
    interval: params.interval,
    from: params.from,
    to: params.to,
    project: params.project || undefined,
  };
  for (const [path, value] of Object.entries(params.filter ?? {})) if (path !== '') query[`prop.${path}`] = value;
  return client.get('/v1/metrics', {
    query,
    signal,
    parse: parseMetricSeries,
  });
}

export function totalOf(series: MetricSeries): number {
  return series.points.reduce((sum, point) => sum + (point.value ?? 0), 0);
}
