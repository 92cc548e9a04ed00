// Metrics computed from raw events at query time: for property filters (any metric) and for sum/avg/pNN of paths
// the rollups do not cover. Same arithmetic as the rollups: numeric sums of JSON numbers, unique users as the
// estimate of an hll sketch built with the same parameters and hash as the stored ones, and percentiles from a
// quantile sketch whose bins quantile_bin (migration 014) computes exactly as core/quantile-sketch.ts does for the
// stored sketches, so both paths hold the same sketch of the same events.
import type postgres from 'postgres';
import type { Sql } from './client';
import { HLL_PARAMS } from './aggregate-store';
import { propertyFilter } from './property-filter';
import type { RawBucket } from '../../core/metric-query';
import { mergeSketches, type QuantileSketch } from '../../core/quantile-sketch';

/**
 * The bucket of an event's `ts` given the bucket starts (ascending): the last start at or before it, so any
 * bucketing (epoch-aligned, or a tenant's local hours and days) groups raw rows exactly as the rollups hold them.
 */
export function bucketOfTs(sql: Sql, starts: number[]): postgres.PendingQuery<postgres.Row[]> {
  const arr = `{${starts.join(',')}}`;
  return sql`(${arr}::bigint[])[width_bucket(floor(extract(epoch from ts) * 1000)::bigint, ${arr}::bigint[])]`;
}

export async function metricsFromRawEvents(
  sql: Sql,
  q: {
    tenantId: string;
    projectIds: string[];
    eventType: string;
    bucketMs: number;
    /** Buckets are aligned to this instant (default: the epoch). */
    originMs?: number;
    /**
     * Instead of bucketMs/originMs: the bucket starts themselves, ascending (1h/1d buckets in a tenant's zone, as
     * core/timezone.ts computes them, docs/api.md#time-zones); [fromMs, toMs) must lie in [first start, end of last).
     * Each event lands in the last start at or before it, so this path and the rollups agree by construction.
     */
    bucketStarts?: number[];
    fromMs: number;
    toMs: number;
    props: [string[], string][];
    /** The property summed (sum/avg/pNN); null for count and unique_users. */
    path: string[] | null;
    /** Also build each bucket's quantile sketch of the path's JSON-number values (pNN). */
    sketches?: boolean;
  },
): Promise<Map<number, RawBucket>> {
  const none = sql``;
  const origin = q.originMs ?? 0;
  const propConds = q.props.map(([path, value]) => propertyFilter(sql, sql`properties`, path, value));
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const value = q.path === null ? sql`null::jsonb` : sql`properties #> ${q.path}::text[]`;
  const bucket = q.bucketStarts
    ? bucketOfTs(sql, q.bucketStarts)
    : sql`(floor((extract(epoch from ts) * 1000 - ${origin}) / ${q.bucketMs}) * ${q.bucketMs} + ${origin})::bigint`;
  const selected = sql`(
      select ${bucket} as bucket, user_id, ${value} as v
      from events
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}
        and ts >= ${new Date(q.fromMs)} and ts < ${new Date(q.toMs)}
        ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
    ) e`;
  const rows = await sql<{ bucket: string; n: string; u: string | null; s: string | null; c: string }[]>`
    select bucket::text, count(*)::text as n,
           round(hll_cardinality(hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})))::bigint::text as u,
           sum(case when jsonb_typeof(v) = 'number' then v::numeric end)::text as s,
           count(case when jsonb_typeof(v) = 'number' then 1 end)::text as c
    from ${selected}
    group by bucket`;
  const out = new Map<number, RawBucket>(
    rows.map((r) => [Number(r.bucket), { count: Number(r.n), uniqueUsers: Number(r.u ?? 0), sum: r.s ?? '0', n: r.c }]),
  );
  if (q.sketches && q.path !== null) {
    for (const [bucket, sketch] of await sketchesOf(sql, selected)) out.get(bucket)!.sketch = sketch;
  }
  return out;
}

/**
 * Per bucket, the quantile sketch of the JSON-number values `v` of the selected rows: bins from quantile_bin of the
 * value as float8 (the double JSON.parse gives, see migration 014), counted per bin, with the exact extremes.
 */
async function sketchesOf(
  sql: Sql,
  selected: postgres.PendingQuery<postgres.Row[]>,
): Promise<Map<number, QuantileSketch>> {
  const rows = await sql<{ bucket: string; bin: number; c: string; lo: number; hi: number }[]>`
    select bucket::text, quantile_bin(x) as bin, count(*)::text as c, min(x) as lo, max(x) as hi
    from (select bucket, case when jsonb_typeof(v) = 'number' then v::float8 end as x from ${selected}) f
    where x is not null
    group by bucket, bin
    order by bucket, bin`;
  const byBucket = new Map<number, QuantileSketch>();
  for (const r of rows) {
    const bucket = Number(r.bucket);
    let s = byBucket.get(bucket);
    if (!s) byBucket.set(bucket, (s = { bins: [], counts: [], count: 0, min: r.lo, max: r.hi }));
    s.bins.push(r.bin);
    s.counts.push(Number(r.c));
    s.count += Number(r.c);
    s.min = Math.min(s.min!, r.lo);
    s.max = Math.max(s.max!, r.hi);
  }
  // mergeSketches of one sketch folds the bins beyond MAX_BINS exactly as the stored sketches are folded.
  return new Map([...byBucket].map(([b, s]) => [b, mergeSketches(s)]));
}
