// GET /v1/metrics: aligned, zero-filled buckets; Redis first, Postgres on a miss (refilling Redis by version).
import { bucketCount, bucketRange, INTERVAL_MS, isInterval, type Interval } from '../../core/intervals';
import { badRequest } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import type { RollupKey, RollupValue } from '../../core/rollups';
import type { Adapters } from '../../adapters';
import { readProgress, readSeries } from '../../adapters/postgres/aggregate-store';
import { rollupCacheKey } from '../../adapters/redis/rollup-cache';
import { countFromRawEvents } from '../../adapters/postgres/raw-metrics';
import { propertyFilters, timeParam } from '../http/request';
import { readableProjects } from './scope';

const MAX_BUCKETS = 10_000;
const TEN_SECONDS_REACH_MS = 24 * 3_600_000;

export interface MetricsQuery {
  eventType: string;
  metric: 'count';
  interval: Interval;
  fromMs: number;
  toMs: number;
  project: string | null;
  props: [string[], string][];
}

export function parseMetricsQuery(params: URLSearchParams, nowMs: number): MetricsQuery {
  const eventType = params.get('event_type');
  if (!eventType) throw badRequest('invalid_parameter', 'event_type is required, e.g. ?event_type=signup.');
  const metric = params.get('metric') ?? 'count';
  if (metric !== 'count') {
    if (/^(unique_users|sum:.+|avg:.+)$/.test(metric)) throw badRequest('unsupported_metric', `metric "${metric}" is not available yet; use metric=count.`);
    throw badRequest('invalid_parameter', 'metric must be count, unique_users, sum:<path> or avg:<path>.');
  }
  const interval = params.get('interval') ?? '1m';
  if (!isInterval(interval)) throw badRequest('invalid_parameter', 'interval must be one of 10s, 1m, 5m, 1h, 1d.');
  const toMs = timeParam(params, 'to') ?? nowMs;
  const fromMs = timeParam(params, 'from') ?? toMs - 3_600_000;
  if (fromMs >= toMs) throw badRequest('invalid_parameter', 'from must be earlier than to.');
  if (interval === '10s' && fromMs < nowMs - TEN_SECONDS_REACH_MS) throw badRequest('invalid_parameter', 'interval 10s covers only the last 24 h; use 1m or larger for older ranges.');
  const buckets = bucketCount(fromMs, toMs, interval);
  if (buckets > MAX_BUCKETS) throw badRequest('too_many_buckets', `The range holds ${buckets} buckets of ${interval}; the maximum is ${MAX_BUCKETS}. Use a larger interval or a shorter range.`);
  return { eventType, metric, interval, fromMs, toMs, project: params.get('project'), props: propertyFilters(params) };
}

export async function readMetric(deps: Adapters, principal: Principal, q: MetricsQuery) {
  const projects = await readableProjects(deps.projects, principal, q.project);
  const buckets = bucketRange(q.fromMs, q.toMs, q.interval);
  const values = q.props.length > 0 ? await countWithFilters(deps, principal, q, projects.map((p) => p.id)) : await countFromRollups(deps, principal, q, projects.map((p) => p.id), buckets);
  const asOf = (await deps.rollupCache.readProgress(principal.tenantId).catch(() => null)) ?? (await readProgress(deps.sql, principal.tenantId))?.getTime() ?? null;
  return {
    event_type: q.eventType,
    metric: q.metric,
    interval: q.interval,
    data_as_of: asOf === null ? null : new Date(asOf).toISOString(),
    points: buckets.map((t) => ({ t: new Date(t).toISOString(), value: values.get(t) ?? 0 })),
  };
}

async function countFromRollups(deps: Adapters, principal: Principal, q: MetricsQuery, projectIds: string[], buckets: number[]): Promise<Map<number, number>> {
  const keys: RollupKey[] = projectIds.flatMap((projectId) =>
    buckets.map((bucketMs) => ({ tenantId: principal.tenantId, projectId, eventType: q.eventType, metric: 'count' as const, interval: q.interval, bucketMs })),
  );
  const cached = await deps.rollupCache.read(keys).catch(() => new Map<string, { value: number }>());
  const totals = new Map<number, number>();
  if (cached.size < keys.length) {
    // Some buckets are not in Redis (never cached, expired, or empty): the rollups in Postgres are the truth.
    const stored = await readSeries(deps.sql, { tenantId: principal.tenantId, projectIds, eventType: q.eventType, metric: 'count', interval: q.interval, fromMs: buckets[0] ?? q.fromMs, toMs: q.toMs });
    for (const v of stored) totals.set(v.bucketMs, (totals.get(v.bucketMs) ?? 0) + v.value);
    await refill(deps, keys, stored, cached);
    return totals;
  }
  for (const k of keys) {
    const hit = cached.get(rollupCacheKey(k))!;
    totals.set(k.bucketMs, (totals.get(k.bucketMs) ?? 0) + hit.value);
  }
  return totals;
}

/**
 * Writes what Postgres said into Redis through the version guard. Empty buckets are cached as version 0,
 * which any real write (version >= 1) replaces, so a refill can never hide a newer value.
 */
async function refill(deps: Adapters, keys: RollupKey[], stored: RollupValue[], cached: Map<string, unknown>): Promise<void> {
  const byKey = new Map(stored.map((v) => [rollupCacheKey(v), v]));
  const missing = keys
    .filter((k) => !cached.has(rollupCacheKey(k)))
    .map((k) => byKey.get(rollupCacheKey(k)) ?? { ...k, value: 0, version: 0 });
  await deps.rollupCache.write(missing).catch(() => undefined); // the answer is already right; a cache failure only costs speed
}

async function countWithFilters(deps: Adapters, principal: Principal, q: MetricsQuery, projectIds: string[]): Promise<Map<number, number>> {
  return countFromRawEvents(deps.sql, {
    tenantId: principal.tenantId,
    projectIds,
    eventType: q.eventType,
    bucketMs: INTERVAL_MS[q.interval],
    fromMs: bucketRange(q.fromMs, q.toMs, q.interval)[0] ?? q.fromMs,
    toMs: q.toMs,
    props: q.props,
  });
}
