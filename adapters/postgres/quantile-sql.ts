// The SQL that recomputes percentile sketches from raw events, shared by rebuild and erasure: numeric properties
// binned per 10s bucket (quantile_bin of the value as float8, as migration 014 describes), then per interval the
// bins summed and collapsed into one stored sketch.
import type postgres from 'postgres';
import type { Sql } from './client';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * Inserts into `fine` (p, y, b, k, bin, c, lo, hi) the 10s bins of every top-level numeric property (the rule of
 * core/rollups.ts preAggregatedProperties) of the events `source` yields: a FROM item aliased `e` with project_id,
 * event_type, ts and properties. The caller turns enable_sort off around it (the groups always fit in memory).
 */
export function insertQuantileBins(tx: Sql, fine: string, source: Fragment): Fragment {
  return tx`
    insert into ${tx(fine)} (p, y, b, k, bin, c, lo, hi)
    select x.project_id, x.event_type, date_bin('10 seconds', x.ts, timestamptz 'epoch'), x.k, quantile_bin(x.v), count(*), min(x.v), max(x.v)
    from (
      select e.project_id, e.event_type, e.ts, e.k, (e.properties -> e.k)::float8 as v
      from (
        select e.project_id, e.event_type, e.ts, e.properties, jsonb_object_keys(e.properties) as k
        from ${source}
      ) as e
      where jsonb_typeof(e.properties -> e.k) = 'number' and e.k <> '' and strpos(e.k, '.') = 0
    ) as x
    group by 1, 2, 3, 4, 5`;
}

/**
 * Inserts into `target` (p, y, k, i, b, cnt, lo, hi, bins, counts) one collapsed sketch per (project, type, property,
 * interval, bucket) from the 10s bins in `fine`, for the intervals of `ivs` (jsonb [{i, ms}]); `where` narrows the
 * (fine row, interval) pairs (aliases f and iv).
 */
export function insertCollapsedQuantiles(
  tx: Sql,
  target: string,
  fine: string,
  ivs: postgres.Parameter,
  where: Fragment = tx``,
): Fragment {
  return tx`
    with iv as (select iv.i, (iv.ms || ' milliseconds')::interval as stride from jsonb_to_recordset(${ivs}) as iv(i text, ms bigint)),
    per_bin as (
      select f.p, f.y, f.k, iv.i, date_bin(iv.stride, f.b, timestamptz 'epoch') as b, f.bin, sum(f.c)::bigint as c, min(f.lo) as lo, max(f.hi) as hi
      from ${tx(fine)} f cross join iv ${where}
      group by 1, 2, 3, 4, 5, 6
    )
    insert into ${tx(target)} (p, y, k, i, b, cnt, lo, hi, bins, counts)
    select g.p, g.y, g.k, g.i, g.b, g.cnt, g.lo, g.hi, c.bins, c.counts
    from (
      select p, y, k, i, b, sum(c)::bigint as cnt, min(lo) as lo, max(hi) as hi,
             array_agg(bin order by bin) as bins, array_agg(c order by bin) as counts
      from per_bin group by 1, 2, 3, 4, 5
    ) as g cross join lateral quantile_collapse(g.bins, g.counts) as c`;
}
