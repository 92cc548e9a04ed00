// The SQL that recomputes percentile sketches from raw events, shared by rebuild and erasure: numeric properties
// binned per 10s bucket (quantile_bin of the value as float8, as migration 014 describes), then per interval the
// bins summed and collapsed into one stored sketch.
import type postgres from 'postgres';
import type { Sql } from './client';
import { INTERVAL_MS, type Interval } from '../../core/intervals';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/**
 * Inserts into `fine` (p, y, b, k, bin, c, lo, hi) the 10s bins of every top-level numeric property (the rule of
 * core/rollups.ts preAggregatedProperties) of the events `source` yields: a FROM item aliased `e` with project_id,
 * event_type, ts and properties. The caller turns enable_sort off around it (the groups always fit in memory).
 * With `sums`, also each bin's exact sum of the values (column s, numeric): the same scan gives the properties' sums.
 */
export function insertQuantileBins(tx: Sql, fine: string, source: Fragment, opts: { sums?: boolean } = {}): Fragment {
  return tx`
    insert into ${tx(fine)} (p, y, b, k, bin, c, lo, hi${opts.sums ? tx`, s` : tx``})
    select x.project_id, x.event_type, date_bin('10 seconds', x.ts, timestamptz 'epoch'), x.k, quantile_bin(x.v), count(*), min(x.v), max(x.v)
           ${opts.sums ? tx`, sum(x.exact)` : tx``}
    from (
      select e.project_id, e.event_type, e.ts, e.k, (e.properties -> e.k)::float8 as v${opts.sums ? tx`, (e.properties -> e.k)::numeric as exact` : tx``}
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
 * interval, bucket) from the 10s bins in `fine`, for `intervals` (each a multiple of the one before: 10s, 1m, 5m, 1h).
 * The bins cascade: each interval's are summed from the previous interval's, not from the 10s rows again (a bin's
 * count is a sum, its extremes a min and max, so grouping in steps is exact, and each step groups fewer rows).
 * `where` narrows the bins kept (alias f: p, y, k, i, b, bin, c, lo, hi).
 */
export function insertCollapsedQuantiles(
  tx: Sql,
  target: string,
  fine: string,
  intervals: readonly Interval[],
  where: Fragment = tx``,
): Fragment {
  const steps = [...intervals].sort((a, b) => INTERVAL_MS[a] - INTERVAL_MS[b]);
  // Level n holds the bins of steps[n] (level of 10s: the fine rows themselves, which are per 10s bucket and bin).
  const level = (n: number): Fragment => {
    const i = steps[n]!;
    const from = n === 0 ? tx`${tx(fine)}` : tx`${tx(`l${n - 1}`)}`;
    return i === '10s'
      ? tx`select p, y, k, b, bin, c, lo, hi from ${from}`
      : tx`select p, y, k, date_bin(${`${INTERVAL_MS[i]} milliseconds`}::interval, b, timestamptz 'epoch') as b, bin,
                  sum(c)::bigint as c, min(lo) as lo, max(hi) as hi
           from ${from} group by 1, 2, 3, 4, 5`;
  };
  const ctes = steps.map((_, n) => tx`${tx(`l${n}`)} as (${level(n)})`);
  const levels = steps.map((i, n) => tx`select p, y, k, ${i}::text as i, b, bin, c, lo, hi from ${tx(`l${n}`)}`);
  const join = (parts: Fragment[], sep: Fragment) =>
    parts.slice(1).reduce((acc, part) => tx`${acc} ${sep} ${part}`, parts[0]!);
  return tx`
    with ${join(ctes, tx`,`)},
    per_bin as (
      select * from (${join(levels, tx`union all`)}) as f ${where}
    )
    insert into ${tx(target)} (p, y, k, i, b, cnt, lo, hi, bins, counts)
    select g.p, g.y, g.k, g.i, g.b, g.cnt, g.lo, g.hi, c.bins, c.counts
    from (
      select p, y, k, i, b, sum(c)::bigint as cnt, min(lo) as lo, max(hi) as hi,
             array_agg(bin order by bin) as bins, array_agg(c order by bin) as counts
      from per_bin group by 1, 2, 3, 4, 5
    ) as g cross join lateral quantile_collapse(g.bins, g.counts) as c`;
}
