// GET /v1/metrics: aligned, zero-filled buckets. The query's rules live in core/metric-query.ts, the read (Redis first,
// Postgres on a miss, raw events for filters and nested paths) in adapters/metric-reader.ts, the comparison range in
// core/compare-range.ts, the CSV form in core/csv.ts and the fields every answer shares (with breakdown.ts) in
// metric-answer.ts.
import { badRequest } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import { parseCompare } from '../../core/compare-range';
import { breakdownCsv, csvFilename, metricCsv, parseFormat } from '../../core/csv';
import { parseBreakdown } from '../../core/breakdown';
import { readBreakdown } from './breakdown';
import {
  checkRawReach,
  metricPoints,
  metricRange,
  parseInterval,
  parseMetric,
  readsRawEvents,
  type MetricsQuery,
} from '../../core/metric-query';
import type { Adapters } from '../../adapters';
import { isZoned, UTC_ZONE, type TimeZone } from '../../core/timezone';
import { answerHead, comparedRange, isoPoints, previousAnswer, startDataAsOf } from './metric-answer';
import { json, type HttpResult } from '../http/middleware';
import { propertyFilters, singleParam, timeParam, type AuthenticatedRequest } from '../http/request';
import { readableProjects } from './scope';

/** `zone`: the tenant's time zone, which 1h/1d buckets follow (docs/api.md#time-zones); absent: UTC. */
export function parseMetricsQuery(
  params: URLSearchParams,
  nowMs: number,
  zone: { zone: TimeZone; generation: number } = { zone: UTC_ZONE, generation: 0 },
): MetricsQuery {
  // Every parameter but prop.* is single-valued: a repeat is a 400, never silently the first or last value.
  const eventType = singleParam(params, 'event_type')?.normalize('NFC');
  if (!eventType) throw badRequest('invalid_parameter', 'event_type is required, e.g. ?event_type=signup.');
  const metric = singleParam(params, 'metric') ?? 'count';
  const { kind, path } = parseMetric(metric);
  const interval = parseInterval(singleParam(params, 'interval'));
  const compare = parseCompare(singleParam(params, 'compare'));
  const toMs = timeParam(params, 'to'); // read before from: a bad `to` is the error named first
  const range = metricRange({ fromMs: timeParam(params, 'from'), toMs, interval, compare, zone: zone.zone }, nowMs);
  return {
    eventType,
    metric,
    kind,
    path,
    interval,
    ...range,
    project: singleParam(params, 'project'),
    props: propertyFilters(params),
    compare,
    zone: zone.zone,
    zoneGeneration: zone.generation,
    breakdown: parseBreakdown(singleParam(params, 'breakdown'), singleParam(params, 'limit')),
  };
}

export async function readMetric(deps: Adapters, principal: Principal, q: MetricsQuery) {
  const asOf = startDataAsOf(deps, principal.tenantId);
  const projects = await readableProjects(deps.projects, principal, q.project);
  if (readsRawEvents(q)) checkRawReach(q, await deps.retention.of(principal.tenantId), deps.now());
  const projectIds = projects.map((p) => p.id);
  // One series and, with compare=previous, the same series over the range before (per series, were there several).
  const pointsOf = async (range: { fromMs: number; toMs: number }) =>
    isoPoints(await metricPoints(deps.metrics, { ...q, ...range }, principal.tenantId, projectIds));
  const points = await pointsOf(q);
  const prev = comparedRange(q);
  const previous = prev && previousAnswer(prev, await pointsOf(prev));
  return answerHead(q, asOf, points, previous);
}

/**
 * How old the zone of a read may be whose buckets do not follow it (10s, 1m, 5m without a breakdown: the zone only
 * labels the answer, docs/api.md#time-zones). 1h and 1d, and every breakdown (its ranking reads the local hours and
 * days of the dimension rollups, core/breakdown.ts rankingSpans), read it from Postgres every time.
 */
export const ZONE_LABEL_MAX_AGE_MS = 5_000;

/** How old the tenant's zone may be for the read these parameters ask for (ZONE_LABEL_MAX_AGE_MS or 0). */
export function zoneMaxAgeMs(params: URLSearchParams): number {
  try {
    const labelOnly = !isZoned(parseInterval(singleParam(params, 'interval'))) && !params.has('breakdown');
    return labelOnly ? ZONE_LABEL_MAX_AGE_MS : 0;
  } catch {
    return 0; // a bad interval is parseMetricsQuery's 400, in its order
  }
}

/** The route: the answer as JSON, or as CSV with format=csv (docs/api.md#csv). */
export async function getMetrics(deps: Adapters, r: AuthenticatedRequest): Promise<HttpResult> {
  const params = r.query();
  const q = parseMetricsQuery(
    params,
    deps.now(),
    await deps.tenantZones.zoneOf(r.principal.tenantId, zoneMaxAgeMs(params)),
  );
  const format = parseFormat(singleParam(params, 'format'));
  const breakdown = q.breakdown;
  const split = breakdown ? await readBreakdown(deps, r.principal, { ...q, breakdown }) : null;
  const answer = split ?? (await readMetric(deps, r.principal, q));
  // The zone the 1h/1d buckets follow (docs/api.md#time-zones); bucket times stay UTC instants. Added here, not in
  // readMetric's type, which the dashboard derives its own from.
  if (format === 'json') return json(200, { ...answer, timezone: q.zone ?? UTC_ZONE });
  return {
    statusCode: 200,
    headers: {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${csvFilename(q.eventType, q.metric)}"`,
      'Cache-Control': 'no-store',
    },
    body: split
      ? breakdownCsv(split.points, split.series, split.previous?.points)
      : metricCsv(answer.points, answer.previous?.points),
  };
}
