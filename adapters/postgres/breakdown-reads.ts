// The two sources of a breakdown (docs/api.md#breakdowns): raw events (any path, filters, every metric; exact over
// all values, within a scan budget) and the dimension rows of migration 020 (count, sum, avg by a declared
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
import { checkedCacheKey, type RollupCache } from '../redis/rollup-cache';
import { versionsDigest, versionsDigestColumns } from './rollup-versions';
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

/** One range's parts from its rows, each row read by `of` as (bucket ms, or null for the range's total; series; part). */
function partsFrom<T>(
  rows: readonly T[],
  of: (row: T, index: number) => [number | null, string, RawBucket],
): BreakdownParts {
  const parts: BreakdownParts = { buckets: new Map(), totals: new Map() };
  for (let i = 0; i < rows.length; i++) {
    const [bucket, s, part] = of(rows[i]!, i);
    if (bucket === null) parts.totals.set(s, part);
    else {
      const m = parts.buckets.get(s) ?? parts.buckets.set(s, new Map()).get(s)!;
      m.set(bucket, part);
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
      const parts = partsFrom(rows, (x) => [
        x.bucket === null ? null : Number(x.bucket),
        x.s,
        { count: Number(x.n), uniqueUsers: Number(x.u ?? 0), sum: x.su ?? '0', n: x.c },
      ]);
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

type Ranked = { key: string; value: string };
/**
 * One range's parts of a rollup breakdown as read, column by column (a compact cache entry: the value keys once,
 * numbers as numbers): part i is of the bucket range.buckets[bucket[i]] (null: the range's total) of the value
 * keys[key[i]], with its count, and its sum and n (decimal texts; absent for count breakdowns, which read no sums).
 */
interface PartColumns {
  keys: string[];
  bucket: (number | null)[];
  key: number[];
  count: number[];
  sum?: (string | null)[];
  n?: (string | null)[];
}
/** What a rollup breakdown reads from Postgres: the ranking and each range's parts. */
interface RollupRead {
  ranked: Ranked[];
  ranges: PartColumns[];
}

/** How long an unused cached breakdown is kept (every read checks it anyway). */
const BREAKDOWN_TTL_MS = 6 * 3_600_000;

/**
 * The last few checked entries of this process, built (the ranking and the parts' maps), with the versions they were
 * read under: a read whose versions are the same skips Redis, the entry's JSON and building the parts. Each is checked
 * exactly as the Redis entry is; the built parts are only read, never changed, by the answer. Least recently used
 * out, so at most BUILT_ENTRIES (a day of 1m with 10 values: ~16 000 parts, a few MB).
 */
const BUILT_ENTRIES = 8;
const builtEntries = new Map<string, { versions: string; built: unknown }>();

/** Empties this process's built entries (tests that plant Redis entries read them through a cold process). */
export function forgetBuiltBreakdowns(): void {
  builtEntries.clear();
}

function rememberBuilt(key: string, versions: string, built: unknown): void {
  builtEntries.delete(key);
  builtEntries.set(key, { versions, built });
  if (builtEntries.size > BUILT_ENTRIES) builtEntries.delete(builtEntries.keys().next().value!);
}

/**
 * The ranking and parts from this process or Redis when their versions are this snapshot's, else `read()`, cached
 * for the next read; `build` makes the answer's data of them. The versions are those of the `count` rollups of every
 * bucket `read()` may use (`spans`): the ranges' own buckets and the ranking's coarse tiling.
 */
async function checkedRead<T>(
  tx: Sql,
  cache: RollupCache,
  r: BreakdownRequest,
  spans: BucketSpan[],
  q: {
    key: unknown[];
    inSpan: (span: BucketSpan) => Fragment;
    read: () => Promise<RollupRead>;
    build: (read: RollupRead) => T;
  },
): Promise<T> {
  const projects = [...r.projectIds].sort();
  // The digest of the rows' versions (rollup-versions.ts).
  const [fp] = await tx<{ n: string; v: string | null }[]>`
    select ${versionsDigestColumns(tx, tx`project_id::text || ' ' || interval`)}
    from rollups
    where tenant_id = ${r.tenantId} and project_id = any(${tx.array(projects)}::uuid[]) and event_type = ${r.eventType}
      and metric = 'count' and (${spans.map((span) => tx`(${q.inSpan(span)})`).reduce((acc, c) => tx`${acc} or ${c}`)})`;
  const versions = versionsDigest(fp!);
  const key = checkedCacheKey(r.tenantId, 'bd', [projects, r.eventType, r.interval, ...q.key]);
  const known = builtEntries.get(key);
  if (known && known.versions === versions) {
    rememberBuilt(key, versions, known.built);
    return known.built as T;
  }
  const [hit] = await cache.readChecked(key, ['r']).catch(() => [null]);
  const sep = hit?.indexOf('\n') ?? -1;
  if (hit && sep >= 0 && hit.slice(0, sep) === versions) {
    const built = q.build(JSON.parse(hit.slice(sep + 1)) as RollupRead);
    rememberBuilt(key, versions, built);
    return built;
  }
  const answer = await q.read();
  await cache
    .writeChecked(key, [['r', `${versions}\n${JSON.stringify(answer)}`]], BREAKDOWN_TTL_MS)
    .catch(() => undefined); // a cache failure only costs speed
  const built = q.build(answer);
  rememberBuilt(key, versions, built);
  return built;
}

/**
 * A breakdown by a declared dimension from its rows (count, sum and avg of a top-level property; migration 020):
 * `dimensionIds` are the dimension's event_dimensions ids in the projects read.
 */
export async function readRollupBreakdown(
  sql: Sql,
  r: BreakdownRequest,
  dimensionIds: string[],
  cache: RollupCache,
): Promise<BreakdownData> {
  return snapshot(sql, async (tx) => {
    // Every statement here is planned for its parameters: postgres.js prepares statements, and after five runs
    // Postgres may switch a prepared statement to its generic plan, which cannot see how few rows a bucket range or
    // a list of value keys selects (docs/architecture.md#metrics-engine).
    await tx`set local plan_cache_mode = force_custom_plan`;
    const name = r.path?.[0] ?? '';
    const ids = tx`dimension_id = any(${tx.array(dimensionIds)}::bigint[])`;
    const inSpan = (span: BucketSpan) => tx`
      interval = ${span.interval} and bucket_start >= ${new Date(span.fromMs)} and bucket_start < ${new Date(span.toMs)}`;
    const sumOf = tx`(nums -> ${name} ->> 0)::numeric`;
    const nOf = tx`(nums -> ${name} ->> 1)::numeric`;
    const order =
      r.kind === 'count'
        ? tx`sum(count)`
        : r.kind === 'sum'
          ? tx`coalesce(sum(${sumOf}), 0)`
          : tx`sum(${sumOf}) / nullif(sum(${nOf}), 0)`;
    // Ranking (docs/api.md#breakdowns): each value's totals over the main range from its coarsest buckets that fit
    // inside it (finer ones at the edges), far fewer rows than the range's own buckets. A coarse bucket that evicted
    // no value (no '$other' row) holds at most K values, so each of its finer buckets kept all of its values too and
    // the coarse rows are the sums of the fine ones, exactly; when one evicted, the range's own buckets rank instead.
    const main = r.ranges[0]!;
    const tiled = rankingSpans(main.fromMs, main.toMs, r.interval, r.query.zone ?? UTC_ZONE);
    const coarse = tiled.filter((span) => span.interval !== r.interval);
    const union = (spans: BucketSpan[], cols: Fragment, also: Fragment = tx``) =>
      spans
        .map((span) => tx`select ${cols} from dimension_cells where ${ids} and ${inSpan(span)} ${also}`)
        .reduce((acc, q) => tx`${acc} union all ${q}`);
    const rank = async (): Promise<Ranked[]> => {
      let spans: BucketSpan[] = [{ ...main, interval: r.interval }];
      if (coarse.length > 0) {
        const [evicted] = await tx<{ any: boolean }[]>`
          select exists (${union(coarse, tx`1`, tx`and value_key = '$other'`)}) as any`;
        if (!evicted!.any) spans = tiled;
      }
      // Values tied at the limit are ordered by their text: only the texts of values ranked within the limit (ties
      // included, rank()) are looked up.
      return tx<Ranked[]>`
        with totals as (
          select value_key as key, ${order} as o
          from (${union(spans, r.kind === 'count' ? tx`value_key, count` : tx`value_key, count, nums`)}) d
          where value_key <> '$none' and value_key <> '$other'
          group by value_key
        ), top as (
          select key, o from (select key, o, rank() over (order by o desc nulls last) as rk from totals) t
          where rk <= ${r.limit}
        )
        select top.key, v.value from top
        cross join lateral (
          select value from dimension_values where ${ids} and value_key = top.key limit 1
        ) v
        order by top.o desc nulls last, v.value collate "C" limit ${r.limit}`;
    };
    // Count breakdowns read neither nums nor the heap: count is in both indexes (migration 020).
    const numbers = r.kind === 'count' ? tx`null::numeric as s, null::numeric as n` : tx`${sumOf} as s, ${nOf} as n`;
    const read = async (): Promise<RollupRead> => {
      const ranked = await rank();
      const shownKeys = tx.array([NONE_SERIES, ...ranked.map((x) => x.key)]);
      const ranges: PartColumns[] = [];
      for (const range of r.ranges) {
        // Parts: the shown values' and '$none' rows (index dimension_cells_by_value), and '$other' as each bucket's
        // total in rollups minus them. Exact: buckets read here start at or after complete_from, where the dimension
        // rows of a bucket hold every event of its rollups (the same batch, rebuild or regroup writes both), so what
        // is not shown nor '$none' is every other value, kept or already in '$other'.
        const rows = await tx<{ bucket: Date | null; k: string; c: string; s: string | null; n: string | null }[]>`
          with shown as (
            select bucket_start, value_key as k, count as c, ${numbers} from dimension_cells
            where ${ids} and ${inSpan({ ...range, interval: r.interval })} and value_key = any(${shownKeys}::text[])
          ), total as (
            select bucket_start, sum(value) filter (where metric = 'count') as c,
                   sum(value) filter (where metric = ${`sum:${name}`}) as s, sum(value) filter (where metric = ${`n:${name}`}) as n
            from rollups
            where tenant_id = ${r.tenantId} and project_id = any(${tx.array(r.projectIds)}::uuid[])
              and event_type = ${r.eventType} and interval = ${r.interval}
              and metric = any(${tx.array(r.kind === 'count' ? ['count'] : ['count', `sum:${name}`, `n:${name}`])}::text[])
              and bucket_start >= ${new Date(range.fromMs)} and bucket_start < ${new Date(range.toMs)}
            group by bucket_start
          ), other as (
            select t.bucket_start, '$other' as k, t.c - coalesce(x.c, 0) as c, t.s - coalesce(x.s, 0) as s,
                   t.n - coalesce(x.n, 0) as n
            from total t left join (select bucket_start, sum(c) as c, sum(s) as s, sum(n) as n from shown group by 1) x
              using (bucket_start)
          ), parts as (
            select * from shown
            union all
            select * from other where c <> 0
          )
          select bucket_start as bucket, k, sum(c)::text as c, sum(s)::text as s, sum(n)::text as n
          from parts group by grouping sets ((bucket_start, k), (k))`;
        // Buckets by their place in the range (the answer shows only those; its totals are the null-bucket rows).
        const place = new Map(range.buckets.map((t, i) => [t, i]));
        const kept = rows.filter((x) => x.bucket === null || place.has(x.bucket.getTime()));
        const keys = [...new Set(kept.map((x) => x.k))];
        const at = new Map(keys.map((k, i) => [k, i]));
        ranges.push({
          keys,
          bucket: kept.map((x) => (x.bucket === null ? null : place.get(x.bucket.getTime())!)),
          key: kept.map((x) => at.get(x.k)!),
          count: kept.map((x) => Number(x.c)),
          ...(r.kind === 'count' ? {} : { sum: kept.map((x) => x.s), n: kept.map((x) => x.n) }),
        });
      }
      return { ranked, ranges };
    };
    const build = ({ ranked, ranges }: RollupRead): BreakdownData => {
      const valueOf = new Map(ranked.map((x) => [x.key, x.value]));
      return {
        source: 'rollup',
        top: ranked.map((x) => x.value),
        ranges: ranges.map((cols, c) => {
          const series = cols.keys.map((k) => (k === NONE_SERIES || k === OTHER_SERIES ? k : valueOf.get(k)!));
          const buckets = r.ranges[c]!.buckets;
          return partsFrom(cols.key, (key, i) => {
            const place = cols.bucket[i] ?? null;
            return [
              place === null ? null : buckets[place]!,
              series[key]!,
              { count: cols.count[i]!, uniqueUsers: 0, sum: cols.sum?.[i] ?? '0', n: cols.n?.[i] ?? '0' },
            ];
          });
        }),
      };
    };
    // The ranking and the parts are cached in Redis (and built in this process), checked against the versions of the
    // `count` rollups of every bucket they may read (the ranges' own and the ranking's coarse tiling's), read in this
    // snapshot: each change to a bucket's dimension rows or rollups comes with new versions of its `count` rollups
    // (the same batch, rebuild, zone regroup or erasure writes both), so an entry computed from other rows is never
    // used, only recomputed (docs/architecture.md#metrics-engine).
    return checkedRead(tx, cache, r, [...r.ranges.map((range) => ({ ...range, interval: r.interval })), ...coarse], {
      key: [
        [...dimensionIds].sort(),
        r.kind,
        name,
        r.limit,
        r.query.zone ?? UTC_ZONE,
        r.ranges.map((range) => [range.fromMs, range.toMs]),
      ],
      inSpan,
      read,
      build,
    });
  });
}
