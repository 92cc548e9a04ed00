// The two sources of a breakdown (docs/api.md#breakdowns): raw events (any path, filters, every metric; exact over
// all values, within a scan budget) and the dimension rollups of migration 015 (count, sum, avg by a declared
// dimension). Both first rank the series values over the main range, then read each range's parts per (series,
// bucket) and per series over the range, every value not shown in '$other' (raw: mapped in SQL; rollup: the bucket's
// total minus the shown parts), so the parts of a bucket hold each of its events exactly once. Both run in one
// repeatable-read snapshot.
import type postgres from 'postgres';
import type { Sql } from './client';
import { HLL_PARAMS } from './aggregate-store';
import { propertyFilter } from './property-filter';
import { seriesValueSql } from './dimension-sql';
import { bucketOfTs } from './raw-metrics';
import { UTC_ZONE } from '../../core/timezone';
import { isPercentile, PERCENTILES, type PercentileKind, type RawBucket } from '../../core/metric-query';
import { mergeSketches, quantile, type QuantileSketch } from '../../core/quantile-sketch';
import {
  NONE_SERIES,
  OTHER_SERIES,
  rankSeries,
  rankingSpans,
  scanBudgetExceeded,
  type BucketSpan,
  type BreakdownData,
  type BreakdownParts,
  type BreakdownRange,
  type BreakdownRequest,
} from '../../core/breakdown';

type Fragment = postgres.PendingQuery<postgres.Row[]>;

function snapshot<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin('isolation level repeatable read read only', (tx) => fn(tx as unknown as Sql)) as Promise<T>;
}

const emptyPart = (): RawBucket => ({ count: 0, uniqueUsers: 0, sum: '0', n: '0' });

function partsFrom(rows: { bucket: string | null; s: string; part: RawBucket }[]): BreakdownParts {
  const parts: BreakdownParts = { buckets: new Map(), totals: new Map() };
  for (const r of rows) {
    if (r.bucket === null) parts.totals.set(r.s, r.part);
    else {
      const m = parts.buckets.get(r.s) ?? parts.buckets.set(r.s, new Map()).get(r.s)!;
      m.set(Number(r.bucket), r.part);
    }
  }
  return parts;
}

/** A breakdown from raw events, exact over all values; more than `maxRows` events in the ranges is a 400. */
export async function readRawBreakdown(sql: Sql, r: BreakdownRequest, maxRows: number): Promise<BreakdownData> {
  return snapshot(sql, async (tx) => {
    const none = tx``;
    const propConds = r.props.map(([path, value]) => propertyFilter(tx, tx`properties`, path, value));
    const value = r.path === null ? tx`null::jsonb` : tx`properties #> ${r.path}::text[]`;
    const where = (range: BreakdownRange) => tx`
      tenant_id = ${r.tenantId} and project_id = any(${tx.array(r.projectIds)}::uuid[]) and event_type = ${r.eventType}
      and ts >= ${new Date(range.fromMs)} and ts < ${new Date(range.toMs)}
      ${propConds.reduce((acc, c) => tx`${acc} ${c}`, none)}`;
    const selected = (range: BreakdownRange) => tx`(
      select ${bucketOfTs(tx, range.buckets)} as bucket, user_id, ${value} as v,
             ${seriesValueSql(tx, tx`(properties #> ${r.breakdown}::text[])`)} as s
      from events where ${where(range)}
    ) e`;

    // The scan budget, over every range read (an index-only count of at most maxRows + 1 rows per range).
    let scanned = 0;
    for (const range of r.ranges) {
      const [c] = await tx<
        { n: string }[]
      >`select count(*)::text as n from (select 1 from events where ${where(range)} limit ${maxRows + 1}) x`;
      scanned += Number(c!.n);
    }
    if (scanned > maxRows) scanBudgetExceeded(r.breakdown, maxRows);

    const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
    const hll = tx`round(hll_cardinality(hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})))::bigint`;
    const num = tx`(case when jsonb_typeof(v) = 'number' then v::numeric end)`;
    const main = r.ranges[0]!;
    let top: string[];
    if (isPercentile(r.kind)) {
      top = rankSeries(await rangePercentiles(tx, selected(main), r.kind, r.limit), r.limit);
    } else {
      const order: Fragment =
        r.kind === 'count'
          ? tx`count(*)`
          : r.kind === 'sum'
            ? tx`coalesce(sum(${num}), 0)`
            : r.kind === 'avg'
              ? tx`sum(${num}) / nullif(count(${num}), 0)`
              : hll;
      const rows = await tx<{ s: string }[]>`
        select s from ${selected(main)} where s <> '$none'
        group by s order by ${order} desc nulls last, s collate "C" limit ${r.limit}`;
      top = rows.map((x) => x.s);
    }

    const ranges: BreakdownParts[] = [];
    for (const range of r.ranges) {
      const mapped = tx`(
        select bucket, user_id, v, case when s = '$none' or s = any(${tx.array(top)}::text[]) then s else '$other' end as s
        from ${selected(range)}
      ) m`;
      const rows = await tx<
        { bucket: string | null; s: string; n: string; u: string | null; su: string | null; c: string }[]
      >`
        select bucket::text, s, count(*)::text as n, ${hll}::text as u, sum(${num})::text as su, count(${num})::text as c
        from ${mapped} group by grouping sets ((bucket, s), (s))`;
      const parts = partsFrom(
        rows.map((x) => ({
          bucket: x.bucket,
          s: x.s,
          part: { count: Number(x.n), uniqueUsers: Number(x.u ?? 0), sum: x.su ?? '0', n: x.c },
        })),
      );
      if (isPercentile(r.kind)) await addSketches(tx, mapped, parts);
      ranges.push(parts);
    }
    return { source: 'raw', top, ranges };
  });
}

/** Per series value (not '$none'), its percentile over the main range (null without values), to rank them. */
async function rangePercentiles(
  tx: Sql,
  selected: Fragment,
  kind: PercentileKind,
  limit: number,
): Promise<Map<string, number | null>> {
  const rows = await tx<{ s: string; bin: number; c: string; lo: number; hi: number }[]>`
    select s, quantile_bin(x) as bin, count(*)::text as c, min(x) as lo, max(x) as hi
    from (select s, case when jsonb_typeof(v) = 'number' then v::float8 end as x from ${selected}) f
    where x is not null and s <> '$none'
    group by s, bin order by s, bin`;
  const sketches = sketchesByKey(rows.map((x) => ({ key: x.s, ...x })));
  const out = new Map<string, number | null>();
  for (const [s, sketch] of sketches) out.set(s, quantile(sketch, PERCENTILES[kind]));
  // Values without a number rank last (null), in byte order: only the first `limit` of them can be shown.
  const plain = await tx<{ s: string }[]>`
    select s from ${selected} where s <> '$none' group by s
    having count(case when jsonb_typeof(v) = 'number' then 1 end) = 0
    order by s collate "C" limit ${limit}`;
  for (const p of plain) out.set(p.s, null);
  return out;
}

function sketchesByKey(
  rows: { key: string; bin: number; c: string; lo: number; hi: number }[],
): Map<string, QuantileSketch> {
  const by = new Map<string, QuantileSketch>();
  for (const x of rows) {
    let s = by.get(x.key);
    if (!s) by.set(x.key, (s = { bins: [], counts: [], count: 0, min: x.lo, max: x.hi }));
    s.bins.push(x.bin);
    s.counts.push(Number(x.c));
    s.count += Number(x.c);
    s.min = Math.min(s.min!, x.lo);
    s.max = Math.max(s.max!, x.hi);
  }
  // mergeSketches of one sketch folds the bins beyond MAX_BINS as the stored sketches are folded.
  return new Map([...by].map(([k, s]) => [k, mergeSketches(s)]));
}

/** Each part's quantile sketch of its JSON-number values (percentile breakdowns), per bucket and over the range. */
async function addSketches(tx: Sql, mapped: Fragment, parts: BreakdownParts): Promise<void> {
  const rows = await tx<{ bucket: string | null; s: string; bin: number; c: string; lo: number; hi: number }[]>`
    select bucket::text, s, quantile_bin(x) as bin, count(*)::text as c, min(x) as lo, max(x) as hi
    from (select bucket, s, case when jsonb_typeof(v) = 'number' then v::float8 end as x from ${mapped}) f
    where x is not null
    group by grouping sets ((bucket, s, bin), (s, bin)) order by bucket, s, bin`;
  const sketches = sketchesByKey(rows.map((x) => ({ key: `${x.bucket ?? ''}\u0000${x.s}`, ...x })));
  for (const [key, sketch] of sketches) {
    const [bucket, s] = key.split('\u0000') as [string, string];
    const part = bucket === '' ? parts.totals.get(s) : parts.buckets.get(s)?.get(Number(bucket));
    if (part) part.sketch = sketch;
  }
}

/** A breakdown by a declared dimension from its rollups (count, sum and avg of a top-level property). */
export async function readRollupBreakdown(sql: Sql, r: BreakdownRequest): Promise<BreakdownData> {
  return snapshot(sql, async (tx) => {
    const name = r.path?.[0] ?? '';
    const metrics = r.kind === 'count' ? ['count'] : ['count', `sum:${name}`, `n:${name}`];
    const base = tx`
      tenant_id = ${r.tenantId} and project_id = any(${tx.array(r.projectIds)}::uuid[]) and event_type = ${r.eventType}
      and dimension = ${r.breakdown[0]!} and metric = any(${tx.array(metrics)}::text[])`;
    const inSpan = (span: BucketSpan) => tx`
      interval = ${span.interval} and bucket_start >= ${new Date(span.fromMs)} and bucket_start < ${new Date(span.toMs)}`;
    const where = (range: BreakdownRange) => tx`${base} and ${inSpan({ ...range, interval: r.interval })}`;
    const of = (metric: string) => tx`sum(amount) filter (where metric = ${metric})`;
    const order =
      r.kind === 'count'
        ? of('count')
        : r.kind === 'sum'
          ? tx`coalesce(${of(`sum:${name}`)}, 0)`
          : tx`${of(`sum:${name}`)} / nullif(${of(`n:${name}`)}, 0)`;
    // Ranking (docs/api.md#breakdowns): each value's totals over the main range from its coarsest buckets that fit
    // inside it (finer ones at the edges), far fewer rows than the range's own buckets. A coarse bucket that evicted
    // no value (no '$other' row) holds at most K values, so each of its finer buckets kept all of its values too and
    // the coarse rows are the sums of the fine ones, exactly; when one evicted, the range's own buckets rank instead.
    const main = r.ranges[0]!;
    const tiled = rankingSpans(main.fromMs, main.toMs, r.interval, r.query.zone ?? UTC_ZONE);
    const coarse = tiled.filter((span) => span.interval !== r.interval);
    const union = (spans: BucketSpan[], cols: Fragment, also: Fragment = tx``) =>
      spans
        .map((span) => tx`select ${cols} from dimension_rollups where ${base} and ${inSpan(span)} ${also}`)
        .reduce((acc, q) => tx`${acc} union all ${q}`);
    let spans: BucketSpan[] = [{ ...main, interval: r.interval }];
    if (coarse.length > 0) {
      const [evicted] = await tx<{ any: boolean }[]>`
        select exists (${union(coarse, tx`1`, tx`and value_key = '$other'`)}) as any`;
      if (!evicted!.any) spans = tiled;
    }
    const ranked = await tx<{ key: string; value: string }[]>`
      select value_key as key, min(value collate "C") as value
      from (${union(spans, tx`value_key, value, metric, amount`)}) d
      where value_key <> '$none' and value_key <> '$other'
      group by value_key order by ${order} desc nulls last, min(value collate "C") collate "C" limit ${r.limit}`;
    const valueOf = new Map(ranked.map((x) => [x.key, x.value]));
    const shownKeys = tx.array([NONE_SERIES, ...ranked.map((x) => x.key)]);
    const ranges: BreakdownParts[] = [];
    for (const range of r.ranges) {
      // Parts: the shown values' and '$none' rows (index dimension_rollups_by_value, migration 019), and '$other' as
      // each bucket's total in rollups minus them. Exact: buckets read here start at or after complete_from, where
      // the dimension rows of a bucket hold every event of its rollups (the same batch, rebuild or regroup writes
      // both), so what is not shown nor '$none' is every other value, kept or already in '$other'.
      const rows = await tx<{ bucket: Date | null; k: string; metric: string; amount: string }[]>`
        with shown as (
          select bucket_start, value_key as k, metric, amount from dimension_rollups
          where ${where(range)} and value_key = any(${shownKeys}::text[])
        ), total as (
          select bucket_start, metric, sum(value) as amount from rollups
          where tenant_id = ${r.tenantId} and project_id = any(${tx.array(r.projectIds)}::uuid[])
            and event_type = ${r.eventType} and metric = any(${tx.array(metrics)}::text[]) and interval = ${r.interval}
            and bucket_start >= ${new Date(range.fromMs)} and bucket_start < ${new Date(range.toMs)}
          group by bucket_start, metric
        ), other as (
          select t.bucket_start, '$other' as k, t.metric, t.amount - coalesce(s.amount, 0) as amount
          from total t left join (select bucket_start, metric, sum(amount) as amount from shown group by 1, 2) s
            using (bucket_start, metric)
        ), parts as (
          select * from shown
          union all
          select * from other
          where bucket_start in (select bucket_start from other where metric = 'count' and amount <> 0)
        )
        select bucket_start as bucket, k, metric, sum(amount)::text as amount
        from parts group by grouping sets ((bucket_start, k, metric), (k, metric))`;
      const byPart = new Map<string, { bucket: string | null; s: string; part: RawBucket }>();
      for (const x of rows) {
        const bucket = x.bucket === null ? null : String(x.bucket.getTime());
        const s = x.k === NONE_SERIES || x.k === OTHER_SERIES ? x.k : valueOf.get(x.k)!;
        const id = `${bucket}\u0000${s}`;
        const entry = byPart.get(id) ?? byPart.set(id, { bucket, s, part: emptyPart() }).get(id)!;
        if (x.metric === 'count') entry.part.count = Number(x.amount);
        else if (x.metric.startsWith('sum:')) entry.part.sum = x.amount;
        else entry.part.n = x.amount;
      }
      ranges.push(partsFrom([...byPart.values()]));
    }
    return { source: 'rollup', top: ranked.map((x) => x.value), ranges };
  });
}
