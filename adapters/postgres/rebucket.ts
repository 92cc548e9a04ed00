// Re-bucketing of a tenant's 1h/1d rows into its time zone's local hours and days (docs/architecture.md#time-zones):
// every per-bucket table's 1h and 1d rows are regrouped from its 5m rows, which are kept as long as the 1h/1d ones
// (only 10s rows expire early) and nest in the local hours of every zone in use (offsets are multiples of 15
// minutes since 1980, core/timezone.ts). Used by a zone change (all of the tenant's rows) and by rebuild (the local
// days around a rebuilt UTC day). The caller holds the tenant's rollup lock exclusively (rollup-lock.ts), so no live
// batch writes between the read of the 5m rows and the swap.
//
// The local hour and day of each 5m start come from JavaScript (core/timezone.ts, the same functions the live write
// path uses), joined in as a temp table: Postgres's own tz data never decides a bucket, so the two cannot disagree.
import type { Sql } from './client';
import { HLL_PARAMS, toValue, type RollupRow } from './aggregate-store';
import type { RollupValue } from '../../core/rollups';
import { bucketsIn, type TimeZone } from '../../core/timezone';
import { regroupDimensionsFrom5m } from './dimension-store';

/**
 * One per-bucket table whose 1h/1d rows follow the tenant's zone. Its primary key is (tenant_id, ...key, interval,
 * bucket_start); it has a `version` column (rollup_next_version, migration 006). `regrouped` is a select of the new
 * rows (the key columns, `i`, `b`, then `columns`) grouped from its 5m rows `f` of tenant $1 with bucket_start in
 * [$2, $3), joined with ZONED_JOIN (one row per interval `z.i`), each row's local bucket being ZONED_BUCKET.
 * A table added to ZONED_TABLES is re-bucketed on zone changes and rebuilt for zoned tenants.
 */
export interface ZonedTable {
  table: string;
  key: readonly string[];
  columns: readonly string[];
  /** What a bucket emptied by a rebuild holds (kept, not deleted, so the Redis version guard sees it change). */
  empty: readonly string[];
  regrouped: string;
  /** For the tables Redis caches: the swapped-in rows as RollupRow columns (the rebuild's Redis refresh). */
  returning?: string;
}

/**
 * The 5m rows `f` of a `regrouped` statement joined with their local 1h and 1d buckets: zr_map (a temp table
 * filled from JavaScript, one row per 5m start of the range: its 1h and 1d starts) by equality, a hash join, then
 * one row per interval `z.i`.
 */
export const ZONED_JOIN = `join zr_map m on m.src = f.bucket_start cross join (values ('1h'), ('1d')) as z(i)`;
/** The local bucket of a 5m row `f` in interval `z.i`, for `regrouped` statements. */
export const ZONED_BUCKET = `case z.i when '1h' then m.h else m.d end`;
const FIVE_MINUTE_ROWS = `f.tenant_id = $1 and f.interval = '5m' and f.bucket_start >= $2 and f.bucket_start < $3`;
const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
const FIVE_MINUTES = 300_000;

export const ZONED_TABLES: readonly ZonedTable[] = [
  {
    table: 'rollups',
    key: ['project_id', 'event_type', 'metric'],
    columns: ['value'],
    empty: ['0'],
    // Every rollups metric (count, sum:, n:) adds up across buckets.
    regrouped: `
      select f.project_id, f.event_type, f.metric, z.i, ${ZONED_BUCKET} as b, sum(f.value) as value
      from rollups f ${ZONED_JOIN} where ${FIVE_MINUTE_ROWS}
      group by 1, 2, 3, 4, 5`,
    returning: `tenant_id as "tenantId", project_id as "projectId", event_type as "eventType", metric, interval,
      bucket_start as "bucketStart", value::text as value, version::text as version`,
  },
  {
    table: 'rollup_sketches',
    key: ['project_id', 'event_type'],
    columns: ['sketch'],
    empty: [`hll_empty(${log2m}, ${regwidth}, ${expthresh}, ${sparseon})`],
    regrouped: `
      select f.project_id, f.event_type, z.i, ${ZONED_BUCKET} as b, hll_union_agg(f.sketch) as sketch
      from rollup_sketches f ${ZONED_JOIN} where ${FIVE_MINUTE_ROWS}
      group by 1, 2, 3, 4`,
    returning: `tenant_id as "tenantId", project_id as "projectId", event_type as "eventType", 'unique_users' as metric,
      interval, bucket_start as "bucketStart", round(hll_cardinality(sketch))::bigint::text as value, version::text as version`,
  },
  {
    table: 'quantile_sketches',
    key: ['project_id', 'event_type', 'path'],
    columns: ['n', 'min_value', 'max_value', 'bins', 'counts'],
    empty: ['0', 'null', 'null', `'{}'`, `'{}'`],
    // Bins added, then folded as quantile_merge folds (exact and order-free, migration 014), as rebuild's days are.
    regrouped: `
      with src as (
        select f.project_id, f.event_type, f.path, z.i, ${ZONED_BUCKET} as b, f.n, f.min_value, f.max_value, f.bins, f.counts
        from quantile_sketches f ${ZONED_JOIN} where ${FIVE_MINUTE_ROWS} and f.n > 0
      ), per_bin as (
        select s.project_id, s.event_type, s.path, s.i, s.b, u.bin, sum(u.c)::bigint as c
        from src s cross join lateral unnest(s.bins, s.counts) as u(bin, c) group by 1, 2, 3, 4, 5, 6
      ), g as (
        select project_id, event_type, path, i, b, sum(n)::bigint as n, min(min_value) as min_value, max(max_value) as max_value
        from src group by 1, 2, 3, 4, 5
      ), a as (
        select project_id, event_type, path, i, b, array_agg(bin order by bin) as bins, array_agg(c order by bin) as counts
        from per_bin group by 1, 2, 3, 4, 5
      )
      select g.project_id, g.event_type, g.path, g.i, g.b, g.n, g.min_value, g.max_value, c.bins, c.counts
      from g join a using (project_id, event_type, path, i, b) cross join lateral quantile_collapse(a.bins, a.counts) as c`,
  },
];

export interface RegroupResult {
  /** Rows written, over every table. */
  rows: number;
  /** The swapped-in rows of the tables Redis caches (rebuild mode only), for the version-guarded refresh. */
  values: RollupValue[];
}

/**
 * Regroups the tenant's 1h/1d rows of every ZONED_TABLES table from its 5m rows, in `zone`. Call it in a
 * transaction holding the tenant's exclusive rollup lock.
 *
 * - `range: 'all'` (a zone change): every 1h/1d row of the tenant is replaced by the regrouping of all its 5m rows;
 *   buckets of the old zone that the new one does not have are deleted (their Redis entries are under the old zone
 *   generation, never read again).
 * - `range: {fromMs, toMs}` (rebuild): the local days overlapping [fromMs, toMs) are replaced; a bucket that lost all
 *   its events is kept empty, with a higher version, and the rows are returned for the Redis refresh.
 *
 * Every written row's version is rollup_next_version of the row it replaces (migration 006), so versions only grow.
 */
export async function regroupZoned(
  tx: Sql,
  q: { tenantId: string; zone: TimeZone; range: 'all' | { fromMs: number; toMs: number } },
): Promise<RegroupResult> {
  const z = bucketsIn(q.zone);
  let fromMs: number;
  let toMs: number;
  if (q.range === 'all') {
    const span = await fiveMinuteSpan(tx, q.tenantId);
    if (!span) {
      await deleteZoned(tx, q.tenantId);
      return { rows: 0, values: [] };
    }
    fromMs = z.start(span.minMs, '1d');
    toMs = z.next(span.maxMs, '1d');
  } else {
    fromMs = z.start(q.range.fromMs, '1d');
    toMs = z.next(q.range.toMs - 1, '1d');
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  // Every 5m start of the range with its local hour and day (5m buckets nest in both, core/timezone.ts).
  const src: string[] = [];
  const h: string[] = [];
  const d: string[] = [];
  for (let t = fromMs; t < toMs; t += FIVE_MINUTES) {
    src.push(iso(t));
    h.push(iso(z.start(t, '1h')));
    d.push(iso(z.start(t, '1d')));
  }
  await tx`create temp table if not exists zr_map (src timestamptz primary key, h timestamptz, d timestamptz) on commit drop`;
  await tx`delete from zr_map`;
  await tx`
    insert into zr_map
    select * from unnest(${`{${src.join(',')}}`}::text[]::timestamptz[], ${`{${h.join(',')}}`}::text[]::timestamptz[],
                         ${`{${d.join(',')}}`}::text[]::timestamptz[])`;
  await tx`analyze zr_map`;
  const keep = q.range !== 'all';
  // The rows replaced: all of the tenant's 1h/1d rows, or those of the local days in the range.
  const [delFrom, delTo] = keep ? [iso(fromMs), iso(toMs)] : ['-infinity', 'infinity'];
  const out: RegroupResult = { rows: 0, values: [] };
  for (const t of ZONED_TABLES) {
    const keyCols = t.key.join(', ');
    const old = `zr_old_${t.table}`;
    await tx.unsafe(`
      create temp table if not exists ${old} on commit drop as
        select ${keyCols}, interval as i, bucket_start as b, version from ${t.table} where false`);
    await tx.unsafe(`delete from ${old}`);
    await tx.unsafe(
      `with d as (
         delete from ${t.table} where tenant_id = $1 and interval in ('1h', '1d')
           and bucket_start >= $2::text::timestamptz and bucket_start < $3::text::timestamptz
         returning ${keyCols}, interval, bucket_start, version
       ) insert into ${old} select * from d`,
      [q.tenantId, delFrom, delTo],
    );
    const values = t.columns.map((c, i) => (keep ? `coalesce(n.${c}, ${t.empty[i]})` : `n.${c}`)).join(', ');
    const rows = await tx.unsafe<RollupRow[]>(
      `insert into ${t.table} (tenant_id, ${keyCols}, interval, bucket_start, ${t.columns.join(', ')}, version)
       select $1::uuid, ${keyCols}, i, b, ${values}, rollup_next_version(o.version)
       from (${t.regrouped}) as n ${keep ? 'full join' : 'left join'} ${old} as o using (${keyCols}, i, b)
       order by ${keyCols}, i, b
       ${keep && t.returning ? `returning ${t.returning}` : ''}`,
      [q.tenantId, iso(fromMs), iso(toMs)],
    );
    out.rows += rows.count;
    if (keep && t.returning) out.values.push(...rows.map(toValue));
  }
  // Dimension rollups keep at most K values per bucket, so they are regrouped by their own rule (the K smallest
  // value keys of the local bucket, the rest into $other: exact from the 5m rows, dimension-store.ts).
  if (!keep) await deleteZonedDimensions(tx, q.tenantId);
  for (const interval of ['1h', '1d'] as const) {
    const spans = z.range(fromMs, toMs, interval).map((startMs) => ({ startMs, endMs: z.next(startMs, interval) }));
    await regroupDimensionsFrom5m(tx, { tenantId: q.tenantId, interval, spans });
  }
  return out;
}

/** The first and last 5m bucket of the tenant over every zoned table; null when it has none. */
async function fiveMinuteSpan(tx: Sql, tenantId: string): Promise<{ minMs: number; maxMs: number } | null> {
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const t of ZONED_TABLES) {
    const [row] = await tx.unsafe<{ lo: Date | null; hi: Date | null }[]>(
      `select min(bucket_start) as lo, max(bucket_start) as hi from ${t.table} where tenant_id = $1 and interval = '5m'`,
      [tenantId],
    );
    if (row?.lo && row.hi) {
      minMs = Math.min(minMs, row.lo.getTime());
      maxMs = Math.max(maxMs, row.hi.getTime());
    }
  }
  return minMs === Infinity ? null : { minMs, maxMs };
}

async function deleteZoned(tx: Sql, tenantId: string): Promise<void> {
  for (const t of ZONED_TABLES)
    await tx.unsafe(`delete from ${t.table} where tenant_id = $1 and interval in ('1h', '1d')`, [tenantId]);
  await deleteZonedDimensions(tx, tenantId);
}

async function deleteZonedDimensions(tx: Sql, tenantId: string): Promise<void> {
  for (const table of ['dimension_cells', 'dimension_buckets'] as const) {
    await tx`
      delete from ${tx(table)} where interval in ('1h', '1d')
        and dimension_id in (select id from event_dimensions where tenant_id = ${tenantId})`;
  }
}
