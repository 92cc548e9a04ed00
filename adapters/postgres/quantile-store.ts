// Percentile sketches in Postgres (migrations/014_quantile_sketches.sql): one row per (project, event type, property
// path, interval, bucket) holding core/quantile-sketch.ts's bins and counts as parallel arrays.
//
// Writes merge in SQL (quantile_merge, exact and order-independent), so concurrent writers need no read-modify-write.
// Reads return each project's sketch and merge them in Node (core mergeSketches): on 1 440 buckets of three projects,
// merging in SQL (unnest, group by bucket and bin, quantile_collapse) took 1.6-7× as long as reading the rows and
// merging here (scripts/bench/quantile.ts --postgres), and the core merge is the one the tests hold SQL to anyway.
import type { Sql } from './client';
import type { Interval } from '../../core/intervals';
import { mergeSketches, sketchFromParts, type QuantileSketch } from '../../core/quantile-sketch';

export interface QuantileKey {
  tenantId: string;
  projectId: string;
  eventType: string;
  /** The property path as the metric names it (`p50:<path>`); opaque here. */
  path: string;
  interval: Interval;
  bucketMs: number;
}

export interface QuantileRow extends QuantileKey {
  sketch: QuantileSketch;
}

export interface StoredQuantile extends QuantileKey {
  sketch: QuantileSketch;
  /** rollup_next_version of the row: the Redis guard (docs/architecture.md#rule-4-postgres-is-the-truth-redis-is-the-speed). */
  version: number;
}

export const quantileKeyId = (k: QuantileKey) =>
  `${k.tenantId}\u0000${k.projectId}\u0000${k.eventType}\u0000${k.path}\u0000${k.interval}\u0000${k.bucketMs}`;

/**
 * Merges each row's sketch into its stored bucket (created when missing), in primary-key order so concurrent writers
 * cannot deadlock (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect, 2d). Like sums, it counts what it
 * is given: the caller passes values of events new after dedupe, in the batch's transaction. Rows of the same key are
 * merged first; empty sketches change nothing.
 */
export async function upsertQuantiles(sql: Sql, rows: readonly QuantileRow[]): Promise<void> {
  const byKey = new Map<string, QuantileRow>();
  for (const r of rows) {
    if (r.sketch.count === 0) continue;
    const id = quantileKeyId(r);
    const seen = byKey.get(id);
    byKey.set(id, seen ? { ...seen, sketch: mergeSketches(seen.sketch, r.sketch) } : r);
  }
  if (byKey.size === 0) return;
  const json = [...byKey.values()].map((r) => ({
    t: r.tenantId,
    p: r.projectId,
    y: r.eventType,
    k: r.path,
    i: r.interval,
    b: new Date(r.bucketMs).toISOString(),
    n: r.sketch.count,
    // Shortest round-trip text: float8in gives back the very same double (5e-324 and 1.7976931348623157e308 too).
    lo: String(r.sketch.min),
    hi: String(r.sketch.max),
    bins: r.sketch.bins,
    counts: r.sketch.counts,
  }));
  await sql`
    insert into quantile_sketches as q (tenant_id, project_id, event_type, path, interval, bucket_start, n, min_value, max_value, bins, counts, version)
    select x.t, x.p, x.y, x.k, x.i, x.b, x.n, x.lo::float8, x.hi::float8, x.bins, x.counts, rollup_next_version(null)
    from jsonb_to_recordset(${sql.json(json)}) as x(t uuid, p uuid, y text, k text, i text, b timestamptz, n bigint, lo text, hi text, bins int[], counts bigint[])
    order by x.t, x.p, x.y collate "C", x.k collate "C", x.i collate "C", x.b
    on conflict (tenant_id, project_id, event_type, path, interval, bucket_start) do update
      set (bins, counts) = (select m.bins, m.counts from quantile_merge(q.bins, q.counts, excluded.bins, excluded.counts) as m),
          n = q.n + excluded.n,
          min_value = least(q.min_value, excluded.min_value),
          max_value = greatest(q.max_value, excluded.max_value),
          version = rollup_next_version(q.version),
          updated_at = now()`;
}

interface SketchRow {
  projectId: string;
  bucketStart: Date;
  n: string;
  min: number | null;
  max: number | null;
  bins: number[];
  counts: number[];
  version: string;
}

// json arrays parse faster in postgres.js than int[]/bigint[] (measured: ~1.3× on 1 440 rows of ~300 bins).
const columns = (sql: Sql) => sql`
  q.project_id as "projectId", q.bucket_start as "bucketStart", q.n::text as n, q.min_value as min, q.max_value as max,
  array_to_json(q.bins) as bins, array_to_json(q.counts) as counts, q.version::text as version`;

/** A stored row as a checked sketch (a damaged row is a RangeError, never a wrong percentile). */
const sketchOfRow = (r: SketchRow): QuantileSketch =>
  sketchFromParts({ bins: r.bins, counts: r.counts, count: Number(r.n), min: r.min, max: r.max });

/** One percentile series (a numeric property of an event type at one interval) over [from, to). */
export interface QuantileSeriesRange {
  tenantId: string;
  projectIds: string[];
  eventType: string;
  path: string;
  interval: Interval;
  fromMs: number;
  toMs: number;
}

/**
 * The stored sketches of one series in [from, to), merged across the given projects per bucket, with each project's
 * row version read in the same snapshot (a project without a row in a bucket is absent from `versions`). Buckets
 * without any row are absent.
 */
export async function readQuantileSketches(
  sql: Sql,
  q: QuantileSeriesRange & {
    /** Only these bucket starts (within [from, to)); absent: every bucket. */
    onlyBuckets?: readonly number[];
  },
): Promise<{ bucketMs: number; sketch: QuantileSketch; versions: Record<string, number> }[]> {
  if (q.projectIds.length === 0 || q.onlyBuckets?.length === 0) return [];
  const only = q.onlyBuckets
    ? sql`and q.bucket_start = any(${sql.array(q.onlyBuckets.map((b) => new Date(b).toISOString()))}::timestamptz[])`
    : sql``;
  const rows = await sql<SketchRow[]>`
    select ${columns(sql)}
    from quantile_sketches q
    where q.tenant_id = ${q.tenantId} and q.project_id = any(${sql.array(q.projectIds)}::uuid[])
      and q.event_type = ${q.eventType} and q.path = ${q.path} and q.interval = ${q.interval}
      and q.bucket_start >= ${new Date(q.fromMs)} and q.bucket_start < ${new Date(q.toMs)} ${only}
    order by q.bucket_start`;
  const buckets: { bucketMs: number; sketches: QuantileSketch[]; versions: Record<string, number> }[] = [];
  for (const r of rows) {
    const bucketMs = r.bucketStart.getTime();
    let last = buckets[buckets.length - 1];
    if (last?.bucketMs !== bucketMs) buckets.push((last = { bucketMs, sketches: [], versions: {} }));
    last.sketches.push(sketchOfRow(r));
    last.versions[r.projectId] = Number(r.version);
  }
  return buckets.map((b) => ({
    bucketMs: b.bucketMs,
    sketch: b.sketches.length === 1 ? b.sketches[0]! : mergeSketches(...b.sketches),
    versions: b.versions,
  }));
}

/**
 * Only the row versions of one series in [from, to), per bucket and project (no sketch is read or parsed): what the
 * cached percentile values are checked against (adapters/metric-reader.ts).
 */
export async function readQuantileVersions(
  sql: Sql,
  q: QuantileSeriesRange,
): Promise<{ projectId: string; bucketMs: number; version: number }[]> {
  if (q.projectIds.length === 0) return [];
  const rows = await sql<{ projectId: string; bucketStart: Date; version: string }[]>`
    select q.project_id as "projectId", q.bucket_start as "bucketStart", q.version::text as version
    from quantile_sketches q
    where q.tenant_id = ${q.tenantId} and q.project_id = any(${sql.array(q.projectIds)}::uuid[])
      and q.event_type = ${q.eventType} and q.path = ${q.path} and q.interval = ${q.interval}
      and q.bucket_start >= ${new Date(q.fromMs)} and q.bucket_start < ${new Date(q.toMs)}`;
  return rows.map((r) => ({ projectId: r.projectId, bucketMs: r.bucketStart.getTime(), version: Number(r.version) }));
}

/** The stored sketches of the given buckets with their versions (missing buckets are absent): the read-back for Redis. */
export async function readQuantileBuckets(sql: Sql, keys: readonly QuantileKey[]): Promise<StoredQuantile[]> {
  if (keys.length === 0) return [];
  const json = keys.map((k) => ({
    t: k.tenantId,
    p: k.projectId,
    y: k.eventType,
    k: k.path,
    i: k.interval,
    b: new Date(k.bucketMs).toISOString(),
  }));
  const rows = await sql<(SketchRow & { tenantId: string; eventType: string; path: string; interval: Interval })[]>`
    select q.tenant_id as "tenantId", q.event_type as "eventType", q.path, q.interval, ${columns(sql)}
    from jsonb_to_recordset(${sql.json(json)}) as x(t uuid, p uuid, y text, k text, i text, b timestamptz)
    join quantile_sketches q on q.tenant_id = x.t and q.project_id = x.p and q.event_type = x.y and q.path = x.k
                            and q.interval = x.i and q.bucket_start = x.b`;
  return rows.map((r) => ({
    tenantId: r.tenantId,
    projectId: r.projectId,
    eventType: r.eventType,
    path: r.path,
    interval: r.interval,
    bucketMs: r.bucketStart.getTime(),
    sketch: sketchOfRow(r),
    version: Number(r.version),
  }));
}
