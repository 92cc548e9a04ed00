// GET /v1/metrics — one time series of one event type.
import type { ApiClient } from './client';
import { expectArray, expectNumber, expectObject, expectString, optionalString } from './shape';
import type { MetricInterval, MetricName, MetricPoint, MetricSeries } from './types';

export interface MetricSeriesParams {
  eventType: string;
  metric: MetricName;
  interval: MetricInterval;
  /** ISO-8601 UTC bounds, [from, to). */
  from: string;
  to: string;
}

function parsePoint(value: unknown, index: number): MetricPoint {
  const obj = expectObject(value, `points[${index}]`);
  return { t: expectString(obj.t, `points[${index}].t`), value: expectNumber(obj.value, `points[${index}].value`) };
}

export function parseMetricSeries(body: unknown): MetricSeries {
  const obj = expectObject(body, 'response');
  return {
    event_type: expectString(obj.event_type, 'event_type'),
    metric: expectString(obj.metric, 'metric'),
    interval: expectString(obj.interval, 'interval'),
    data_as_of: optionalString(obj.data_as_of, 'data_as_of'),
    points: expectArray(obj.points, 'points').map(parsePoint),
  };
}

export function fetchMetricSeries(client: ApiClient, params: MetricSeriesParams, signal?: AbortSignal): Promise<MetricSeries> {
  return client.get('/v1/metrics', {
    query: {
      event_type: params.eventType,
      metric: params.metric,
      interval: params.interval,
      from: params.from,
      to: params.to,
    },
    signal,
    parse: parseMetricSeries,
  });
}

export function totalOf(series: MetricSeries): number {
  return series.points.reduce((sum, point) => sum + point.value, 0);
}
