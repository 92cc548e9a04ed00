// GET /v1/metrics: aligned, zero-filled buckets. The query's rules live in core/metric-query.ts, the read (Redis first,
// Postgres on a miss, raw events for filters and nested paths) in adapters/metric-reader.ts.
import { badRequest } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import { metricPoints, metricRange, parseInterval, parseMetric, type MetricsQuery } from '../../core/metric-query';
import type { Adapters } from '../../adapters';
import { tenantDataAsOf } from './freshness';
import { propertyFilters, singleParam, timeParam } from '../http/request';
import { readableProjects } from './scope';

export function parseMetricsQuery(params: URLSearchParams, nowMs: number): MetricsQuery {
  // Every parameter but prop.* is single-valued: a repeat is a 400, never silently the first or last value.
  const eventType = singleParam(params, 'event_type')?.normalize('NFC');
  if (!eventType) throw badRequest('invalid_parameter', 'event_type is required, e.g. ?event_type=signup.');
  const metric = singleParam(params, 'metric') ?? 'count';
  const { kind, path } = parseMetric(metric);
  const interval = parseInterval(singleParam(params, 'interval'));
  const toMs = timeParam(params, 'to'); // read before from: a bad `to` is the error named first
  const range = metricRange({ fromMs: timeParam(params, 'from'), toMs, interval }, nowMs);
  return {
    eventType,
    metric,
    kind,
    path,
    interval,
    ...range,
    project: singleParam(params, 'project'),
    props: propertyFilters(params),
  };
}

export async function readMetric(deps: Adapters, principal: Principal, q: MetricsQuery) {
  const projects = await readableProjects(deps.projects, principal, q.project);
  const points = await metricPoints(
    deps.metrics,
    q,
    principal.tenantId,
    projects.map((p) => p.id),
  );
  const asOf = await tenantDataAsOf(deps, principal.tenantId);
  return {
    event_type: q.eventType,
    metric: q.metric,
    interval: q.interval,
    data_as_of: asOf === null ? null : new Date(asOf).toISOString(),
    points: points.map((p) => ({ t: new Date(p.t).toISOString(), value: p.value })),
  };
}
