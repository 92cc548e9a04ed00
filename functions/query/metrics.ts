// GET /v1/metrics: aligned, zero-filled buckets; Redis first, Postgres on a miss (refilling Redis by version).
// count and sum:/avg: of pre-aggregated properties come from rollups; unique_users from the hll sketches (Redis
// caches their estimates); property filters and other paths are computed from raw events with the same arithmetic.
import { createHash } from 'node:crypto';
import { bucketCount, bucketRange, INTERVAL_MS, isInterval, type Interval } from '../../core/intervals';
import { badRequest } from '../../core/errors';
import type { Principal } from '../../core/api-keys';
import { addDecimals, averageOf, isPreAggregatedPath, type RollupKey, type RollupMetric, type RollupValue } from '../../core/rollups';
import type { Adapters } from '../../adapters';
import { readSeries, readSketchSeries, readSketchUnion } from '../../adapters/postgres/aggregate-store';
import { tenantDataAsOf } from './freshness';
import { rollupCacheKey } from '../../adapters/redis/rollup-cache';
import { metricsFromRawEvents } from '../../adapters/postgres/raw-metrics';
import { propertyFilters, singleParam, timeParam } from '../http/request';
import { readableProjects } from './scope';

const MAX_BUCKETS = 10_000;
const TEN_SECONDS_REACH_MS = 24 * 3_600_000;

export type MetricKind = 'count' | 'unique_users' | 'sum' | 'avg';

export interface MetricsQuery {
  eventType: string;
  /** As requested, e.g. `sum:amount`. */
  metric: string;
  kind: MetricKind;
  /** The property of sum/avg, split at dots; null for count and unique_users. */
  path: string[] | null;
  interval: Interval;
  fromMs: number;
  toMs: number;
  project: string | null;
  props: [string[], string][];
}

export function parseMetric(metric: string): { kind: MetricKind; path: string[] | null } {
  if (metric === 'count' || metric === 'unique_users') return { kind: metric, path: null };
  const m = /^(sum|avg):(.+)$/.exec(metric);
  if (m) {
    const path = m[2]!.normalize('NFC').split('.'); // names are stored in NFC (docs/api.md, ingest)
    if (path.some((p) => p.length === 0) || path.length > 6) throw badRequest('invalid_parameter', `${JSON.stringify(metric.slice(0, 100))}: the property path must be <name> or <a>.<b> (at most 6 levels).`);
    return { kind: m[1] as 'sum' | 'avg', path };
  }
  throw badRequest('invalid_parameter', 'metric must be count, unique_users, sum:<path> or avg:<path>.');
}

export function parseMetricsQuery(params: URLSearchParams, nowMs: number): MetricsQuery {
  // Every parameter but prop.* is single-valued: a repeat is a 400, never silently the first or last value.
  const eventType = singleParam(params, 'event_type')?.normalize('NFC');
  if (!eventType) throw badRequest('invalid_parameter', 'event_type is required, e.g. ?event_type=signup.');
  const metric = singleParam(params, 'metric') ?? 'count';
  const { kind, path } = parseMetric(metric);
  const interval = singleParam(params, 'interval') ?? '1m';
  if (!isInterval(interval)) throw badRequest('invalid_parameter', 'interval must be one of 10s, 1m, 5m, 1h, 1d.');
  const toMs = timeParam(params, 'to') ?? nowMs;
  const fromMs = timeParam(params, 'from') ?? toMs - 3_600_000;
  if (fromMs >= toMs) throw badRequest('invalid_parameter', 'from must be earlier than to.');
  if (interval === '10s' && fromMs < nowMs - TEN_SECONDS_REACH_MS) throw badRequest('invalid_parameter', 'interval 10s covers only the last 24 h; use 1m or larger for older ranges.');
  const buckets = bucketCount(fromMs, toMs, interval);
  if (buckets > MAX_BUCKETS) throw badRequest('too_many_buckets', `The range holds ${buckets} buckets of ${interval}; the maximum is ${MAX_BUCKETS}. Use a larger interval or a shorter range.`);
  return { eventType, metric, kind, path, interval, fromMs, toMs, project: singleParam(params, 'project'), props: propertyFilters(params) };
}

type Value = number | null;

/** [start of the first bucket, end of the last bucket): the time the points cover. */
export function coveredSpan(buckets: number[], q: Pick<MetricsQuery, 'fromMs' | 'toMs' | 'interval'>): { fromMs: number; toMs: number } {
  if (buckets.length === 0) return { fromMs: q.fromMs, toMs: q.toMs };
  return { fromMs: buckets[0]!, toMs: buckets[buckets.length - 1]! + INTERVAL_MS[q.interval] };
}

export async function readMetric(deps: Adapters, principal: Principal, q: MetricsQuery) {
  const projects = await readableProjects(deps.projects, principal, q.project);
  const projectIds = projects.map((p) => p.id).sort();
  const buckets = bucketRange(q.fromMs, q.toMs, q.interval);
  // The points are the whole buckets that overlap [from, to): a bucket is counted whole even where from or to
  // falls inside it (rollups hold whole buckets only), and the raw path reads exactly those buckets' events.
  const s: Series = { tenantId: principal.tenantId, projectIds, eventType: q.eventType, interval: q.interval, buckets, ...coveredSpan(buckets, q) };
  const values = await valuesFor(deps, q, s);
  const asOf = await tenantDataAsOf(deps, principal.tenantId);
  const empty: Value = q.kind === 'avg' ? null : 0;
  return {
    event_type: q.eventType,
    metric: q.metric,
    interval: q.interval,
    data_as_of: asOf === null ? null : new Date(asOf).toISOString(),
    points: buckets.map((t) => ({ t: new Date(t).toISOString(), value: values.has(t) ? values.get(t)! : empty })),
  };
}

interface Series {
  tenantId: string;
  projectIds: string[];
  eventType: string;
  interval: Interval;
  buckets: number[];
  fromMs: number;
  toMs: number;
}

async function valuesFor(deps: Adapters, q: MetricsQuery, s: Series): Promise<Map<number, Value>> {
  if (s.projectIds.length === 0) return new Map();
  const fromRaw = q.props.length > 0 || (q.path !== null && !isPreAggregatedPath(q.path));
  if (fromRaw) {
    const raw = await metricsFromRawEvents(deps.sql, { ...s, bucketMs: INTERVAL_MS[q.interval], props: q.props, path: q.path });
    return mapValues(raw, (b) =>
      q.kind === 'count' ? b.count : q.kind === 'unique_users' ? b.uniqueUsers : q.kind === 'sum' ? Number(b.sum) : averageOf(b.sum, b.n),
    );
  }
  if (q.kind === 'count') return mapValues(await decimalSeries(deps, s, 'count'), Number);
  if (q.kind === 'unique_users') return s.projectIds.length === 1 ? mapValues(await decimalSeries(deps, s, 'unique_users'), Number) : uniqueUsersOfUnion(deps, s);
  const name = q.path![0]!;
  const sums = await decimalSeries(deps, s, `sum:${name}`);
  if (q.kind === 'sum') return mapValues(sums, Number);
  const counts = await decimalSeries(deps, s, `n:${name}`);
  return new Map(s.buckets.map((t) => [t, averageOf(sums.get(t) ?? '0', counts.get(t) ?? '0')]));
}

function mapValues<A, B>(m: Map<number, A>, f: (a: A) => B): Map<number, B> {
  return new Map([...m].map(([k, v]) => [k, f(v)]));
}

function keysOf(s: Series, metric: RollupMetric): RollupKey[] {
  return s.projectIds.flatMap((projectId) => s.buckets.map((bucketMs) => ({ tenantId: s.tenantId, projectId, eventType: s.eventType, metric, interval: s.interval, bucketMs })));
}

/** Stored values of one metric per project (rollups, or the sketches' estimates for unique_users). */
async function storedSeries(deps: Adapters, s: Series, metric: RollupMetric): Promise<RollupValue[]> {
  return metric === 'unique_users' ? readSketchSeries(deps.sql, s) : readSeries(deps.sql, { ...s, metric });
}

/** Per bucket, the exact decimal total over the projects of a per-project metric; Redis first. */
async function decimalSeries(deps: Adapters, s: Series, metric: RollupMetric): Promise<Map<number, string>> {
  const keys = keysOf(s, metric);
  const cached = await deps.rollupCache.read(keys).catch(() => new Map<string, { text: string }>());
  const parts = new Map<number, string[]>();
  const add = (bucketMs: number, text: string) => (parts.get(bucketMs) ?? parts.set(bucketMs, []).get(bucketMs)!).push(text);
  if (cached.size < keys.length) {
    // Some buckets are not in Redis (never cached, expired, or empty): Postgres is the truth.
    const stored = await storedSeries(deps, s, metric);
    for (const v of stored) add(v.bucketMs, v.text ?? String(v.value));
    await refill(deps, keys, stored, cached);
  } else {
    for (const k of keys) add(k.bucketMs, cached.get(rollupCacheKey(k))!.text);
  }
  return mapValues(parts, addDecimals);
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

/** Cache key of a union over a set of projects: the set's hash stands in for the project id. */
export function unionCacheKey(s: Pick<Series, 'tenantId' | 'projectIds' | 'eventType' | 'interval'>, bucketMs: number): RollupKey {
  const set = createHash('sha256').update([...s.projectIds].sort().join(',')).digest('hex').slice(0, 32);
  return { tenantId: s.tenantId, projectId: `union-${set}`, eventType: s.eventType, metric: 'unique_users', interval: s.interval, bucketMs };
}

/**
 * Unique users over several projects: the estimate of the union of their sketches. Redis keeps it per bucket
 * under the project set's key as `<estimate>;<version of each project's sketch>`, guarded by the sum of those
 * versions (each only increases, so the sum increases on every change). A cached union is used only when its
 * versions are exactly those of the per-project entries in Redis; otherwise Postgres unions the sketches and
 * both the per-project estimates and the union are refilled through the guard.
 */
async function uniqueUsersOfUnion(deps: Adapters, s: Series): Promise<Map<number, Value>> {
  const perProject = keysOf(s, 'unique_users');
  const unions = s.buckets.map((t) => unionCacheKey(s, t));
  const cached = await deps.rollupCache.read([...perProject, ...unions]).catch(() => new Map<string, { text: string; version: number }>());
  const out = new Map<number, Value>();
  let complete = true;
  for (const u of unions) {
    const hit = cached.get(rollupCacheKey(u));
    const versions = s.projectIds.map((projectId) => cached.get(rollupCacheKey({ ...u, projectId }))?.version);
    if (!hit || versions.some((v) => v === undefined) || hit.text !== `${hit.text.split(';')[0]};${versions.join(',')}`) {
      complete = false;
      break;
    }
    out.set(u.bucketMs, Number(hit.text.split(';')[0]));
  }
  if (complete) return out;

  const stored = await readSketchSeries(deps.sql, s);
  const union = await readSketchUnion(deps.sql, s);
  await refill(deps, perProject, stored, new Map());
  // The union's versions come from its own snapshot; per-project versions absent there were 0.
  const byBucket = new Map(union.map((u) => [u.bucketMs, u]));
  const values: RollupValue[] = unions.map((k) => {
    const u = byBucket.get(k.bucketMs);
    const versions = s.projectIds.map((p) => u?.versions[p] ?? 0);
    return { ...k, value: u?.value ?? 0, text: `${u?.value ?? 0};${versions.join(',')}`, version: versions.reduce((a, b) => a + b, 0) };
  });
  await deps.rollupCache.write(values).catch(() => undefined);
  return new Map(union.map((u) => [u.bucketMs, u.value]));
}
