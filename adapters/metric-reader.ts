// The read behind GET /v1/metrics (docs/architecture.md#rule-4-postgres-is-the-truth-redis-is-the-speed): Redis first,
// Postgres on a miss, refilling Redis through the version guard. count and sum:/avg: of pre-aggregated properties come
// from rollups; unique_users from the hll sketches (Redis caches their estimates); pNN: of pre-aggregated properties from
// the quantile sketches in Postgres, merged across projects (Redis caches each bucket's percentiles, used only while the
// sketches' versions, read from Postgres on every request, are those they were computed from); property filters and
// other paths are computed from raw events with the same arithmetic (the same sketch for pNN).
import { createHash } from 'node:crypto';
import { INTERVAL_MS } from '../core/intervals';
import { isZoned, UTC_ZONE } from '../core/timezone';
import { addDecimals, averageOf, type RollupKey, type RollupMetric, type RollupValue } from '../core/rollups';
import {
  isPercentile,
  PERCENTILES,
  percentileValue,
  rawBucketValue,
  readsRawEvents,
  type MetricReader,
  type MetricSeries,
  type MetricValue,
  type PercentileKind,
} from '../core/metric-query';
import type { Sql } from './postgres/client';
import { readSeries, readSketchSeries, readSketchUnion } from './postgres/aggregate-store';
import { metricsFromRawEvents } from './postgres/raw-metrics';
import { readQuantileSketches, readQuantileVersions } from './postgres/quantile-store';
import { checkedCacheKey, type CachedRollup, type PageLayout, type RollupCache } from './redis/rollup-cache';

type Series = Pick<
  MetricSeries,
  'tenantId' | 'projectIds' | 'eventType' | 'interval' | 'buckets' | 'fromMs' | 'toMs' | 'zoneGeneration'
>;

export function createMetricReader(sql: Sql, cache: RollupCache): MetricReader {
  const memo = createSeriesMemo();
  return {
    async values(s) {
      if (readsRawEvents(s)) {
        const bucketMs = INTERVAL_MS[s.interval];
        // Local hours and days (docs/api.md#time-zones) are the series' own bucket starts, not a fixed stride.
        const zoned = isZoned(s.interval) && (s.zone ?? UTC_ZONE) !== UTC_ZONE;
        const raw = await metricsFromRawEvents(sql, {
          ...s,
          bucketMs,
          ...(zoned ? { bucketStarts: s.buckets } : {}),
          sketches: isPercentile(s.kind),
        });
        return mapValues(raw, (b) => rawBucketValue(s.kind, b));
      }
      if (isPercentile(s.kind)) return percentileSeries(sql, cache, s, s.kind, s.path![0]!);
      if (s.kind === 'count') return numberSeries(sql, cache, memo, s, 'count');
      if (s.kind === 'unique_users') {
        if (s.projectIds.length !== 1) return uniqueUsersOfUnion(sql, cache, s);
        return numberSeries(sql, cache, memo, s, 'unique_users');
      }
      const name = s.path![0]!;
      if (s.kind === 'sum') return numberSeries(sql, cache, memo, s, `sum:${name}`);
      const sums = await decimalSeries(sql, cache, s, `sum:${name}`);
      const counts = await decimalSeries(sql, cache, s, `n:${name}`);
      return new Map(s.buckets.map((t) => [t, averageOf(sums.get(t) ?? '0', counts.get(t) ?? '0')]));
    },
  };
}

function mapValues<A, B>(m: Map<number, A>, f: (a: A) => B): Map<number, B> {
  const out = new Map<number, B>();
  for (const [k, v] of m) out.set(k, f(v));
  return out;
}

function keysOf(s: Series, metric: RollupMetric): RollupKey[] {
  return s.projectIds.flatMap((projectId) =>
    s.buckets.map((bucketMs) => ({
      tenantId: s.tenantId,
      projectId,
      eventType: s.eventType,
      metric,
      interval: s.interval,
      bucketMs,
      ...(s.zoneGeneration ? { zoneGeneration: s.zoneGeneration } : {}),
    })),
  );
}

/** Stored values of one metric per project (rollups, or the sketches' estimates for unique_users). */
async function storedSeries(sql: Sql, s: Series, metric: RollupMetric): Promise<RollupValue[]> {
  return metric === 'unique_users' ? readSketchSeries(sql, s) : readSeries(sql, { ...s, metric });
}

type CacheRead = { keys: RollupKey[]; cached: (CachedRollup | undefined)[]; pages: string | null; layout?: PageLayout };

async function readCache(cache: RollupCache, s: Series, metric: RollupMetric): Promise<CacheRead> {
  const keys = keysOf(s, metric);
  return { keys, ...(await cache.readWithPages(keys).catch(() => ({ cached: [], pages: null }))) };
}

/**
 * Series answered whole from Redis, by what selects them, with their keys, the keys' pages and the pages' tokens:
 * while the pages keep those tokens (no write to any of them since), the same values, as the same object, which later
 * steps may keep their own results with (core/metric-query.ts metricPoints). Bounded by the buckets held (about
 * 350 bytes each with the points, answer points and JSON text kept with them: up to ~35 MB); least recently used
 * out first.
 */
type Memoized = { keys: RollupKey[]; layout: PageLayout; pages: string; values: Map<number, number> };
const SERIES_MEMO_BUCKETS = 100_000;

function createSeriesMemo() {
  const held = new Map<string, Memoized>();
  let buckets = 0;
  return {
    /** The series' entry, taken out (put it back to keep it). */
    take(name: string): Memoized | undefined {
      const entry = held.get(name);
      if (entry) {
        held.delete(name);
        buckets -= entry.keys.length;
      }
      return entry;
    },
    put(name: string, entry: Memoized): void {
      // Two reads of one series that both missed put it twice: the later replaces the earlier.
      const earlier = held.get(name);
      if (earlier) {
        held.delete(name);
        buckets -= earlier.keys.length;
      }
      held.set(name, entry); // (re)inserted: the most recently used last
      buckets += entry.keys.length;
      for (const [oldest, old] of held) {
        if (buckets <= SERIES_MEMO_BUCKETS) break;
        held.delete(oldest);
        buckets -= old.keys.length;
      }
    },
  };
}
type SeriesMemo = ReturnType<typeof createSeriesMemo>;

function seriesName(s: Series, metric: RollupMetric): string {
  const { buckets } = s;
  // JSON: event types and property names may hold any character, a separator too.
  return JSON.stringify([
    s.tenantId,
    s.projectIds,
    s.eventType,
    metric,
    s.interval,
    s.zoneGeneration ?? 0,
    buckets.length,
    buckets[0],
    buckets[buckets.length - 1],
  ]);
}

/**
 * decimalSeries as numbers. One project's series found whole in Redis needs no decimal sums: each bucket is one
 * stored value, and its number is that of its exact text.
 */
async function numberSeries(
  sql: Sql,
  cache: RollupCache,
  memo: SeriesMemo,
  s: Series,
  metric: RollupMetric,
): Promise<Map<number, number>> {
  const name = s.projectIds.length === 1 ? seriesName(s, metric) : null;
  const held = name === null ? undefined : memo.take(name);
  const keys = held?.keys ?? keysOf(s, metric);
  const again = await (held ? cache.readWithPages(keys, held) : cache.readWithPages(keys)).catch(() => ({
    unchanged: false as const,
    cached: [],
    pages: null,
  }));
  if (again.unchanged) {
    memo.put(name!, held!);
    return held!.values;
  }
  const read: CacheRead = { keys, ...again };
  const { cached, pages, layout } = read;
  const whole = s.projectIds.length === 1 && cached.length === keys.length && !cached.includes(undefined);
  if (!whole) return mapValues(await decimalSeries(sql, cache, s, metric, read), Number);
  const values = new Map(keys.map((k, i) => [k.bucketMs, cached[i]!.value]));
  if (name !== null && pages !== null && layout) memo.put(name, { keys, layout, pages, values });
  return values;
}

/** Per bucket, the exact decimal total over the projects of a per-project metric; Redis first (`read`: done already). */
async function decimalSeries(
  sql: Sql,
  cache: RollupCache,
  s: Series,
  metric: RollupMetric,
  read?: CacheRead,
): Promise<Map<number, string>> {
  const { keys, cached } = read ?? (await readCache(cache, s, metric));
  // Per bucket its one exact decimal (one project: no sum to make); buckets with several projects' parts are summed.
  const out = new Map<number, string>();
  const parts = new Map<number, string[]>();
  const add = (bucketMs: number, text: string) => {
    const first = out.get(bucketMs);
    if (first === undefined) out.set(bucketMs, text);
    else (parts.get(bucketMs) ?? parts.set(bucketMs, [first]).get(bucketMs)!).push(text);
  };
  let hits = 0;
  for (let i = 0; i < keys.length; i++) if (cached[i] !== undefined) hits++;
  if (hits < keys.length) {
    // Some buckets are not in Redis (never cached, expired, or empty): Postgres is the truth.
    const stored = await storedSeries(sql, s, metric);
    for (const v of stored) add(v.bucketMs, v.text ?? String(v.value));
    // After answering: the answer does not wait for Redis, and the version guard keeps a late refill harmless.
    void refill(cache, keys, stored, cached);
  } else {
    for (let i = 0; i < keys.length; i++) add(keys[i]!.bucketMs, cached[i]!.text);
  }
  for (const [bucketMs, texts] of parts) out.set(bucketMs, addDecimals(texts));
  return out;
}

/**
 * Writes what Postgres said into Redis through the version guard. Empty buckets are cached as version 0,
 * which any real write (version >= 1) replaces, so a refill can never hide a newer value.
 */
async function refill(
  cache: RollupCache,
  keys: RollupKey[],
  stored: RollupValue[],
  cached: readonly (CachedRollup | undefined)[],
): Promise<void> {
  // Every key of a read is of one series (metric, interval, event type): a stored row is named by project and bucket.
  // Stored rows carry no zone generation: they take the keys' (every key of a read has the series' one).
  const byKey = new Map(stored.map((v) => [`${v.projectId} ${v.bucketMs}`, v]));
  const missing = keys
    .filter((_, i) => cached[i] === undefined)
    .map((k) => {
      const v = byKey.get(`${k.projectId} ${k.bucketMs}`);
      return v
        ? { ...k, value: v.value, ...(v.text === undefined ? {} : { text: v.text }), version: v.version }
        : { ...k, value: 0, version: 0 };
    });
  await cache.write(missing).catch(() => undefined); // the answer is already right; a cache failure only costs speed
}

/** Cache key of a union over a set of projects: the set's hash stands in for the project id. */
function unionCacheKey(
  s: Pick<Series, 'tenantId' | 'projectIds' | 'eventType' | 'interval' | 'zoneGeneration'>,
  bucketMs: number,
): RollupKey {
  const set = createHash('sha256')
    .update([...s.projectIds].sort().join(','))
    .digest('hex')
    .slice(0, 32);
  const { tenantId, eventType, interval, zoneGeneration } = s;
  return {
    tenantId,
    projectId: `union-${set}`,
    eventType,
    metric: 'unique_users',
    interval,
    bucketMs,
    ...(zoneGeneration ? { zoneGeneration } : {}),
  };
}

/**
 * Unique users over several projects: the estimate of the union of their sketches. Redis keeps it per bucket
 * under the project set's key as `<estimate>;<version of each project's sketch>`, guarded by the sum of those
 * versions (each only increases, so the sum increases on every change). A cached union is used only when its
 * versions are exactly those of the per-project entries in Redis; otherwise Postgres unions the sketches and
 * both the per-project estimates and the union are refilled through the guard.
 */
async function uniqueUsersOfUnion(sql: Sql, cache: RollupCache, s: Series): Promise<Map<number, MetricValue>> {
  const perProject = keysOf(s, 'unique_users');
  const unions = s.buckets.map((t) => unionCacheKey(s, t));
  const cached = await cache.read([...perProject, ...unions]).catch((): (CachedRollup | undefined)[] => []);
  const out = new Map<number, MetricValue>();
  let complete = true;
  // perProject is project by project, each over every bucket (keysOf); the unions follow, one per bucket.
  const B = s.buckets.length;
  for (let b = 0; b < B; b++) {
    const u = unions[b]!;
    const hit = cached[s.projectIds.length * B + b];
    const versions = s.projectIds.map((_, p) => cached[p * B + b]?.version);
    if (
      !hit ||
      versions.some((v) => v === undefined) ||
      hit.text !== `${hit.text.split(';')[0]};${versions.join(',')}`
    ) {
      complete = false;
      break;
    }
    out.set(u.bucketMs, Number(hit.text.split(';')[0]));
  }
  if (complete) return out;

  const stored = await readSketchSeries(sql, s);
  const union = await readSketchUnion(sql, s);
  await refill(cache, perProject, stored, []);
  // The union's versions come from its own snapshot; per-project versions absent there were 0.
  const byBucket = new Map(union.map((u) => [u.bucketMs, u]));
  const values: RollupValue[] = unions.map((k) => {
    const u = byBucket.get(k.bucketMs);
    const versions = s.projectIds.map((p) => u?.versions[p] ?? 0);
    return {
      ...k,
      value: u?.value ?? 0,
      text: `${u?.value ?? 0};${versions.join(',')}`,
      version: versions.reduce((a, b) => a + b, 0),
    };
  });
  await cache.write(values).catch(() => undefined);
  return new Map(union.map((u) => [u.bucketMs, u.value]));
}

const PERCENTILE_KINDS = Object.keys(PERCENTILES) as PercentileKind[];
const PERCENTILE_TTL_MS = 2 * 86_400_000;

/**
 * pNN of a pre-aggregated property from the stored sketches, with Redis holding each bucket's four percentiles as
 * `<versions>;<p50>,<p90>,<p95>,<p99>` (versions: each project's sketch row version, 0 where it has none). Every read
 * first reads the rows' versions from Postgres (no sketch is read): a cached entry is used only when its versions are
 * exactly those, so it is never stale (new events, replay, rebuild, zone regroup and erasure all raise the versions of
 * the rows they change). Only the other buckets' sketches are read, merged and cached. Buckets without rows are absent.
 */
async function percentileSeries(
  sql: Sql,
  cache: RollupCache,
  s: MetricSeries,
  kind: PercentileKind,
  path: string,
): Promise<Map<number, MetricValue>> {
  const projects = [...s.projectIds].sort();
  const { tenantId, projectIds, eventType, interval, fromMs, toMs } = s;
  const q = { tenantId, projectIds, eventType, path, interval, fromMs, toMs };
  const versions = new Map<number, number[]>();
  for (const v of await readQuantileVersions(sql, q)) {
    const vs =
      versions.get(v.bucketMs) ??
      versions
        .set(
          v.bucketMs,
          projects.map(() => 0),
        )
        .get(v.bucketMs)!;
    vs[projects.indexOf(v.projectId)] = v.version;
  }
  const key = checkedCacheKey(s.tenantId, 'pct', [projects, s.eventType, path, s.interval, s.zoneGeneration ?? 0]);
  const buckets = [...versions.keys()];
  const cached = await cache.readChecked(key, buckets.map(String)).catch(() => buckets.map(() => null));
  const at = PERCENTILE_KINDS.indexOf(kind);
  const out = new Map<number, MetricValue>();
  const missing: number[] = [];
  buckets.forEach((bucketMs, i) => {
    const hit = cached[i];
    const sep = hit?.indexOf(';') ?? -1;
    if (hit && hit.slice(0, sep) === versions.get(bucketMs)!.join(',')) {
      const text = hit.slice(sep + 1).split(',')[at]!;
      out.set(bucketMs, text === '' ? null : Number(text));
    } else missing.push(bucketMs);
  });
  if (missing.length === 0) return out;
  // Most of the range missing (a first read): one range scan; else only the missing buckets.
  const stored = await readQuantileSketches(
    sql,
    missing.length * 2 > buckets.length ? q : { ...q, onlyBuckets: missing },
  );
  const entries: [string, string][] = [];
  const wanted = new Set(missing);
  for (const b of stored) {
    if (!wanted.has(b.bucketMs)) continue;
    out.set(b.bucketMs, percentileValue(kind, b.sketch));
    const values = PERCENTILE_KINDS.map((k) => percentileValue(k, b.sketch) ?? '').join(',');
    entries.push([String(b.bucketMs), `${projects.map((p) => b.versions[p] ?? 0).join(',')};${values}`]);
  }
  await cache.writeChecked(key, entries, PERCENTILE_TTL_MS).catch(() => undefined); // a cache failure only costs speed
  return out;
}
